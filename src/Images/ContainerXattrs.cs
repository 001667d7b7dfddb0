using System.Text;

namespace CriShim.Images;

/// <summary>
/// The extended attributes a layer may set: user.* and security.capability (file capabilities, binary), as a container
/// could set them itself. Never trusted.* (trusted.overlay.* would rewrite how overlayfs reads the layer) or other
/// namespaces (security.selinux, system.* ACLs are the host's business).
/// </summary>
static class ContainerXattrs
{
    const string SchilyPrefix = "SCHILY.xattr.";
    const string LibarchivePrefix = "LIBARCHIVE.xattr.";

    public static bool MayCarry(string name) => name.StartsWith("user.", StringComparison.Ordinal) || name == "security.capability";

    /// <summary>The allowed xattrs of an entry's PAX records, values as the bytes written in the tar.</summary>
    /// <param name="raw">the undecoded records of the entry's PAX header, asked for only when a value did not
    /// survive System.Formats.Tar's UTF-8 decoding; null when they cannot be found (the value is then skipped)</param>
    public static IEnumerable<(string Name, byte[] Value)> Of(IReadOnlyDictionary<string, string> records, Func<IReadOnlyDictionary<string, byte[]>?> raw)
    {
        foreach (var (key, value) in records)
        {
            if (key.StartsWith(SchilyPrefix, StringComparison.Ordinal))
            {
                var name = key[SchilyPrefix.Length..];
                if (!MayCarry(name)) continue;
                if (!value.Contains('\uFFFD')) yield return (name, Encoding.UTF8.GetBytes(value));
                else if (raw()?.GetValueOrDefault(key) is { } bytes) yield return (name, bytes);
            }
            else if (key.StartsWith(LibarchivePrefix, StringComparison.Ordinal))
            {
                // libarchive writes the name URL-encoded and the value base64
                var name = Uri.UnescapeDataString(key[LibarchivePrefix.Length..]);
                if (!MayCarry(name)) continue;
                byte[] bytes;
                try { bytes = Convert.FromBase64String(value); }
                catch (FormatException) { continue; }
                yield return (name, bytes);
            }
        }
    }
}
