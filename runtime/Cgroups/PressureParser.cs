using System.Globalization;

namespace CriShim.Oci.Cgroups;

/// <summary>Parses PSI files: "some avg10=0.12 avg60=0.00 avg300=0.00 total=12345" and a "full" line alike.</summary>
public static class PressureParser
{
    public static PressureStats? Parse(string text)
    {
        PressureData? some = null, full = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || ParseData(fields.Skip(1)) is not { } data)
                continue;
            if (fields[0] == "some")
                some = data;
            else if (fields[0] == "full")
                full = data;
        }
        return some is null && full is null ? null : new PressureStats(some, full);
    }

    private static PressureData? ParseData(IEnumerable<string> pairs)
    {
        double avg10 = 0, avg60 = 0, avg300 = 0;
        ulong? totalMicros = null;
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq < 0)
                continue;
            var value = pair[(eq + 1)..];
            switch (pair[..eq])
            {
                case "avg10": double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out avg10); break;
                case "avg60": double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out avg60); break;
                case "avg300": double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out avg300); break;
                case "total" when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t): totalMicros = t; break;
            }
        }
        return totalMicros is { } micros ? new PressureData(micros * 1000, avg10, avg60, avg300) : null;
    }
}
