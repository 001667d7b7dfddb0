using System.Text.RegularExpressions;
using CriShim.Cri;
using Runtime.V1;

namespace CriShim.Pods;

/// <summary>
/// What a RunPodSandbox config must satisfy before anything is made from it. Metadata goes into CNI_ARGS
/// (`K8S_POD_NAME=...;...`), where a `;` or `=` would let a pod set arguments of its own (host-local's IP=): name and
/// namespace must be what Kubernetes itself allows (DNS-1123 subdomain and label; kubelet sends nothing else), the
/// UID a UUID-like token. The hostname becomes the UTS hostname and a line of /etc/hosts: a DNS-1123 subdomain the
/// kernel can hold (64 bytes), or empty for the default. Host-network pods keep the host's hostname, so theirs is
/// not used and not checked.
/// </summary>
public static partial class PodConfigValidator
{
    public const int MaxSubdomainLength = 253, MaxLabelLength = 63, MaxUidLength = 128;
    /// <summary>The kernel's UTS name limit (__NEW_UTS_LEN).</summary>
    public const int MaxHostnameLength = 64;

    public static void Validate(PodSandboxConfig config)
    {
        var meta = config.Metadata ?? throw CriException.Invalid("pod sandbox config has no metadata");
        Require("metadata.name", meta.Name, MaxSubdomainLength, IsDnsSubdomain, "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.')");
        Require("metadata.namespace", meta.Namespace, MaxLabelLength, IsDnsLabel, "a DNS-1123 label (lowercase letters, digits and '-')");
        Require("metadata.uid", meta.Uid, MaxUidLength, IsUid, "letters, digits, '-', '_' and '.' (a UUID)");
        var hostNetwork = config.Linux?.SecurityContext?.NamespaceOptions?.Network == NamespaceMode.Node;
        if (!hostNetwork && !string.IsNullOrEmpty(config.Hostname))
            Require("hostname", config.Hostname, MaxHostnameLength, IsDnsSubdomain, "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.')");
        if (!string.IsNullOrEmpty(config.LogDirectory) && !Path.IsPathRooted(config.LogDirectory))
            throw CriException.Invalid($"pod log directory \"{config.LogDirectory}\" must be an absolute path");
    }

    public static bool IsDnsLabel(string value) => value.Length <= MaxLabelLength && DnsLabel().IsMatch(value);

    public static bool IsDnsSubdomain(string value) =>
        value.Length <= MaxSubdomainLength && value.Split('.').All(label => label.Length > 0 && IsDnsLabel(label));

    public static bool IsUid(string value) => value.Length <= MaxUidLength && Uid().IsMatch(value);

    static void Require(string field, string value, int maxLength, Func<string, bool> valid, string what)
    {
        if (string.IsNullOrEmpty(value)) throw CriException.Invalid($"pod sandbox {field} must not be empty");
        if (value.Length > maxLength) throw CriException.Invalid($"pod sandbox {field} is {value.Length} characters long; at most {maxLength} are allowed");
        if (!valid(value)) throw CriException.Invalid($"pod sandbox {field} \"{value}\" is invalid: it must be {what}");
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\z")]
    private static partial Regex Uid();
}
