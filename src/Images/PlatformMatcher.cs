using System.Runtime.InteropServices;

namespace CriShim.Images;

/// <summary>Picks the manifest for this machine (linux + its architecture and variant) out of an index.</summary>
public sealed record PlatformMatcher(string Os, string Architecture, string? Variant)
{
    public static PlatformMatcher Host { get; } = ForHost();

    static PlatformMatcher ForHost() => RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => new("linux", "amd64", null),
        System.Runtime.InteropServices.Architecture.Arm64 => new("linux", "arm64", "v8"),
        System.Runtime.InteropServices.Architecture.Arm => new("linux", "arm", "v7"),
        System.Runtime.InteropServices.Architecture.X86 => new("linux", "386", null),
        System.Runtime.InteropServices.Architecture.S390x => new("linux", "s390x", null),
        System.Runtime.InteropServices.Architecture.Ppc64le => new("linux", "ppc64le", null),
        System.Runtime.InteropServices.Architecture.RiscV64 => new("linux", "riscv64", null),
        System.Runtime.InteropServices.Architecture.LoongArch64 => new("linux", "loong64", null),
        var other => new("linux", other.ToString().ToLowerInvariant(), null),
    };

    /// <summary>The best matching manifest descriptor, or null when the index has none for this platform.</summary>
    public Descriptor? Select(IEnumerable<Descriptor> manifests) =>
        manifests.Where(d => MediaTypes.IsManifest(d.MediaType) || d.MediaType is null)
                 .Select((d, i) => (d, i, rank: Rank(d.Platform)))
                 .Where(x => x.rank >= 0)
                 .OrderByDescending(x => x.rank).ThenBy(x => x.i)
                 .Select(x => x.d).FirstOrDefault();

    /// <summary>-1 = no match; higher = better (exact variant beats a missing variant, which beats an older one).</summary>
    int Rank(Platform? p)
    {
        if (p is null) return -1;
        if (!string.Equals(p.Os, Os, StringComparison.OrdinalIgnoreCase)) return -1;
        var (arch, variant) = Normalize(p.Architecture, p.Variant);
        var (wantArch, wantVariant) = Normalize(Architecture, Variant);
        if (arch != wantArch) return -1;
        if (variant == wantVariant) return 3;
        if (string.IsNullOrEmpty(variant)) return 2;
        // arm: an older variant (v6 on a v7 machine) still runs; a newer one does not.
        if (arch == "arm" && wantVariant is not null && string.CompareOrdinal(variant, wantVariant) < 0) return 1;
        return -1;
    }

    static (string Arch, string? Variant) Normalize(string arch, string? variant)
    {
        arch = arch.ToLowerInvariant();
        variant = string.IsNullOrEmpty(variant) ? null : variant.ToLowerInvariant();
        return arch switch
        {
            "x86_64" or "x86-64" => ("amd64", variant == "v1" ? null : variant),
            "amd64" => ("amd64", variant == "v1" ? null : variant),
            "aarch64" or "arm64" => ("arm64", variant is null or "8" or "v8" ? "v8" : variant),
            "armhf" => ("arm", "v7"),
            "armel" => ("arm", "v6"),
            "i386" => ("386", variant),
            _ => (arch, variant),
        };
    }
}
