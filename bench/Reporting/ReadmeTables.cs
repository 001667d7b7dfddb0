namespace CriShim.Bench.Reporting;

/// <summary>
/// Keeps the table in the repository's README.md the one of latest.md: a full run on a quiet machine writes its
/// tables between two markers there, so the README never shows figures of an older setup.
/// </summary>
static class ReadmeTables
{
    public const string Begin = "<!-- bench results: written by `make bench` from bench/results/latest.md -->";
    public const string End = "<!-- end of bench results -->";
    const string FirstSection = "## Pod lifecycle over gRPC";
    const string AfterTables = "Ratios below 1 mean";

    /// <summary>The report's tables (gRPC, floor, crictl, burst/density/images), their headings one level down.</summary>
    public static string Extract(string reportMarkdown, string intro)
    {
        var start = reportMarkdown.IndexOf(FirstSection, StringComparison.Ordinal);
        var end = reportMarkdown.IndexOf(AfterTables, StringComparison.Ordinal);
        if (start < 0 || end < start) throw new FormatException("the report has no lifecycle tables");
        var tables = string.Join('\n', reportMarkdown[start..end].TrimEnd().Split('\n').Select(l => l.StartsWith("## ", StringComparison.Ordinal) ? "#" + l : l));
        return $"{intro}\n\n{tables}\n";
    }

    /// <summary>The README with the block between the markers replaced; null when the markers are missing.</summary>
    public static string? Replace(string readme, string block)
    {
        var start = readme.IndexOf(Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        if (start < 0 || end < start) return null;
        return readme[..(start + Begin.Length)] + "\n" + block + readme[end..];
    }
}
