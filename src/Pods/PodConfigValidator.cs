using CriShim.Errors;
using System.Text.RegularExpressions;
using Runtime.V1;

namespace CriShim.Pods;

/// <summary>
/// What a RunPodSandbox config must satisfy before anything is made from it. Metadata goes into CNI_ARGS
/// (`K8S_POD_NAME=...;...`), where a `;` or `=` would let a pod set arguments of its own (host-local's IP=): name,
/// namespace and UID are tokens of letters, digits, '-', '_' and '.'. The hostname becomes the UTS hostname and a
/// line of /etc/hosts: a DNS name the kernel can hold (64 bytes), or empty for the default. Host-network pods keep the host's hostname, so theirs is
/// not used and not checked.
/// </summary>
public static partial class PodConfigValidator
{
    public const int MaxSubdomainLength = 253, MaxLabelLength = 63, MaxUidLength = 128;
    /// <summary>The kernel's UTS name limit (__NEW_UTS_LEN).</summary>
    public const int MaxHostnameLength = 64;

    public static void Validate(PodSandboxConfig config)
    {
        var meta = config.Metadata ?? throw DomainException.Invalid("pod sandbox config has no metadata");
        // These three go into CNI_ARGS (K8S_POD_NAME=...;...) and into names on disk: no ';', '=', '/', spaces or
        // control characters. Case is not restricted: kubelet sends DNS-1123 names, but critest and other clients
        // send mixed case, which is harmless.
        Require("metadata.name", meta.Name, MaxSubdomainLength, IsSafeName, SafeNameRule);
        Require("metadata.namespace", meta.Namespace, MaxLabelLength, IsSafeName, SafeNameRule);
        Require("metadata.uid", meta.Uid, MaxUidLength, IsSafeName, SafeNameRule + " (a UUID)");
        var hostNetwork = config.Linux?.SecurityContext?.NamespaceOptions?.Network == NamespaceMode.Node;
        if (!hostNetwork && !string.IsNullOrEmpty(config.Hostname))
            Require("hostname", config.Hostname, MaxHostnameLength, IsDnsSubdomain, "a DNS name (letters, digits and '-' in labels joined by '.')");
        if (!string.IsNullOrEmpty(config.LogDirectory) && !Path.IsPathRooted(config.LogDirectory))
            throw DomainException.Invalid($"pod log directory \"{config.LogDirectory}\" must be an absolute path");
    }

    public static bool IsDnsLabel(string value) => value.Length <= MaxLabelLength && DnsLabel().IsMatch(value);

    public static bool IsDnsSubdomain(string value) =>
        value.Length <= MaxSubdomainLength && value.Split('.').All(label => label.Length > 0 && IsDnsLabel(label));

    const string SafeNameRule = "letters, digits, '-', '_' and '.', starting and ending with a letter or digit";

    public static bool IsSafeName(string value) => SafeName().IsMatch(value);

    static void Require(string field, string value, int maxLength, Func<string, bool> valid, string what)
    {
        if (string.IsNullOrEmpty(value)) throw DomainException.Invalid($"pod sandbox {field} must not be empty");
        if (value.Length > maxLength) throw DomainException.Invalid($"pod sandbox {field} is {value.Length} characters long; at most {maxLength} are allowed");
        if (!valid(value)) throw DomainException.Invalid($"pod sandbox {field} \"{value}\" is invalid: it must be {what}");
    }

    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?\z")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\z")]
    private static partial Regex SafeName();
}
