using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using CriShim.Oci.Specs.Model;

namespace CriShim.Oci.Specs.Seccomp;

/// <summary>Builds the seccomp filter of a container: the embedded RuntimeDefault profile or a Localhost JSON file.</summary>
public static class SeccompProfiles
{
    private const uint Eperm = 1;

    internal sealed record Rule(
        IReadOnlyList<string> Names,
        uint? Errno,
        IReadOnlyList<string>? UnlessCaps,
        IReadOnlyList<ulong>? Arg0MaskedBits);

    internal sealed record ProfileTemplate(string DefaultAction, IReadOnlyList<Rule> Rules);

    private static readonly Lazy<ProfileTemplate> Template = new(LoadTemplate);

    private static ProfileTemplate LoadTemplate()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CriShim.Oci.Specs.Seccomp.runtime-default.json")
            ?? throw new InvalidOperationException("the embedded runtime-default seccomp profile is missing");
        return JsonSerializer.Deserialize(stream, OciJson.Info<ProfileTemplate>())!;
    }

    /// <summary>The seccomp architectures of this machine (native plus its compat ABIs).</summary>
    public static IReadOnlyList<string> HostArchitectures() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        Architecture.Arm64 => ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
        _ => [],
    };

    /// <summary>
    /// The RuntimeDefault filter for a container with the given bounding capabilities: a rule is left out when the
    /// container holds one of the capabilities that would legitimately allow the call (e.g. CAP_SYS_ADMIN for mount).
    /// </summary>
    public static LinuxSeccomp RuntimeDefault(IEnumerable<string> boundingCapabilities)
    {
        var caps = boundingCapabilities.ToHashSet(StringComparer.Ordinal);
        var syscalls = new List<LinuxSyscall>();
        foreach (var rule in Template.Value.Rules)
        {
            if (rule.UnlessCaps is { } unless && unless.Any(caps.Contains)) continue;
            var names = rule.Names;
            var errno = rule.Errno ?? Eperm;
            if (rule.Arg0MaskedBits is { Count: > 0 } bits)
            {
                // Deny when any of the bits is set: one rule per bit, each "(arg0 & bit) == bit".
                syscalls.AddRange(bits.Select(bit => new LinuxSyscall
                {
                    Names = names, Action = "SCMP_ACT_ERRNO", ErrnoRet = errno,
                    Args = [new LinuxSeccompArg(0, bit, bit, "SCMP_CMP_MASKED_EQ")],
                }));
            }
            else
            {
                syscalls.Add(new LinuxSyscall { Names = names, Action = "SCMP_ACT_ERRNO", ErrnoRet = errno });
            }
        }
        return new LinuxSeccomp
        {
            DefaultAction = Template.Value.DefaultAction,
            Architectures = HostArchitectures(),
            Syscalls = syscalls,
        };
    }

    /// <summary>Loads a Localhost profile (OCI form, or Docker form with archMap) from an absolute path.</summary>
    public static LinuxSeccomp LoadLocalhost(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || !System.IO.Path.IsPathRooted(path))
            throw new SpecException($"seccomp localhost profile path must be absolute, got \"{path}\"");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SpecException($"seccomp localhost profile \"{path}\" does not exist", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpecException($"seccomp localhost profile \"{path}\" cannot be read: {e.Message}", e);
        }
        try
        {
            var node = JsonNode.Parse(text)?.AsObject() ?? throw new JsonException("empty document");
            if (node["architectures"] is null && node["archMap"] is JsonArray archMap)
            {
                var host = HostArchitectures().FirstOrDefault();
                var archs = new JsonArray();
                foreach (var entry in archMap.OfType<JsonObject>())
                {
                    if ((string?)entry["architecture"] != host) continue;
                    archs.Add((JsonNode?)JsonValue.Create(host));
                    foreach (var sub in entry["subArchitectures"]?.AsArray() ?? []) archs.Add((JsonNode?)JsonValue.Create((string?)sub));
                }
                node["architectures"] = archs;
            }
            node.Remove("archMap");
            var profile = node.Deserialize(OciJson.Info<LinuxSeccomp>())
                ?? throw new JsonException("empty document");
            if (string.IsNullOrEmpty(profile.DefaultAction)) throw new JsonException("defaultAction is missing");
            return profile;
        }
        catch (JsonException e)
        {
            throw new SpecException($"seccomp localhost profile \"{path}\" is not a valid profile: {e.Message}", e);
        }
    }
}
