using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace CriShim.Images;

/// <summary>An OCI content digest ("sha256:64 hex"). Only sha256 is accepted: it is what every registry serves.</summary>
public readonly partial record struct Digest(string Algorithm, string Hex)
{
    public override string ToString() => $"{Algorithm}:{Hex}";

    public static Digest Parse(string value) =>
        TryParse(value, out var digest) ? digest : throw new FormatException($"invalid digest \"{value}\": expected sha256:<64 lowercase hex>");

    public static bool TryParse(string? value, out Digest digest)
    {
        digest = default;
        if (value is null || !Sha256Pattern().IsMatch(value)) return false;
        digest = new Digest("sha256", value[7..]);
        return true;
    }

    public static Digest FromHash(byte[] sha256) => new("sha256", Convert.ToHexStringLower(sha256));

    public static Digest Compute(ReadOnlySpan<byte> data) => FromHash(SHA256.HashData(data));

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex Sha256Pattern();
}
