using CriShim.Oci.Network;
using CriShim.Oci.Specs;
using CriShim.Oci.Pod;
using Runtime.V1;
using CriMount = Runtime.V1.Mount;
using CriNamespaceMode = Runtime.V1.NamespaceMode;
using CriPropagation = Runtime.V1.MountPropagation;
using OciNamespaceMode = CriShim.Oci.Specs.NamespaceMode;
using OciPropagation = CriShim.Oci.Specs.MountPropagation;

namespace CriShim.Containers.Specs;

/// <summary>
/// Maps CRI protobuf requests (plus image defaults and the daemon's own decisions) to the plain spec inputs of the
/// OCI layer. Throws <see cref="SpecException"/> (an ArgumentException) for requests that cannot be honoured.
/// </summary>
public static class ContainerSpecMapper
{
    public static ContainerSpecInput Map(ContainerConfig config, PodSandboxConfig sandbox, ImageDefaults image, ContainerSpecContext context)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(sandbox);
        if (config.Metadata is null || string.IsNullOrEmpty(config.Metadata.Name))
            throw new SpecException("container config has no metadata (metadata.name is required)");
        if (sandbox.Metadata is null || string.IsNullOrEmpty(sandbox.Metadata.Name))
            throw new SpecException("sandbox config has no metadata (metadata.name is required)");

        var sc = config.Linux?.SecurityContext ?? new LinuxContainerSecurityContext();
        var podSc = sandbox.Linux?.SecurityContext ?? new LinuxSandboxSecurityContext();
        if (sc.Privileged && !podSc.Privileged)
            throw new SpecException("privileged containers need a privileged sandbox (linux.security_context.privileged on the pod)");

        var nsOptions = ContainerNamespaceOptions(sc.NamespaceOptions, podSc.NamespaceOptions ?? new NamespaceOption());
        var namespaces = Namespaces(nsOptions, context.Namespaces, context.TargetPidNamespacePath);
        var hostNetwork = namespaces.Network.Mode == OciNamespaceMode.Host;

        return new ContainerSpecInput
        {
            ContainerId = context.ContainerId,
            ContainerName = config.Metadata.Name,
            SandboxId = context.SandboxId,
            SandboxName = sandbox.Metadata.Name,
            SandboxNamespace = sandbox.Metadata.Namespace,
            SandboxUid = sandbox.Metadata.Uid,
            ImageName = context.ImageName ?? ImageName(config.Image),
            RootfsPath = context.RootfsPath,
            Image = image,
            Command = [.. config.Command],
            Args = [.. config.Args],
            WorkingDir = string.IsNullOrEmpty(config.WorkingDir) ? null : config.WorkingDir,
            Env = [.. config.Envs.Select(e => KeyValuePair.Create(e.Key, e.Value.ToStringUtf8()))],
            Tty = config.Tty,
            Stdin = config.Stdin,
            Hostname = hostNetwork ? null : NullIfEmpty(sandbox.Hostname),
            Mounts = [.. config.Mounts.Select(m => MapMount(m, context.PreparedMountSources))],
            Devices = [.. config.Devices.Select(d => new DeviceInput(d.ContainerPath, d.HostPath, d.Permissions))],
            PodFiles = context.PodFiles,
            Namespaces = namespaces,
            Security = Security(sc),
            Resources = Resources(config.Linux?.Resources),
            Sysctls = PodSysctls(sandbox, namespaces),
            CgroupsPath = context.CgroupsPath,
        };
    }

    /// <summary>The infra process of a pod: it creates the pod's PID namespace unless the pod uses the host's.</summary>
    public static SandboxSpecInput MapSandbox(PodSandboxConfig sandbox, SandboxSpecContext context)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        if (sandbox.Metadata is null || string.IsNullOrEmpty(sandbox.Metadata.Name))
            throw new SpecException("sandbox config has no metadata (metadata.name is required)");
        var podSc = sandbox.Linux?.SecurityContext ?? new LinuxSandboxSecurityContext();
        var ns = podSc.NamespaceOptions ?? new NamespaceOption();
        var namespaces = Namespaces(ns, context.Namespaces with { Pid = null }, null) with
        {
            Pid = ns.Pid == CriNamespaceMode.Node ? NamespaceRef.Host : NamespaceRef.New,
        };
        return new SandboxSpecInput
        {
            SandboxId = context.SandboxId,
            SandboxName = sandbox.Metadata.Name,
            SandboxNamespace = sandbox.Metadata.Namespace,
            SandboxUid = sandbox.Metadata.Uid,
            LogDirectory = NullIfEmpty(sandbox.LogDirectory),
            RootfsPath = context.RootfsPath,
            Args = context.Args,
            Hostname = namespaces.Uts.Mode == OciNamespaceMode.Host ? null : NullIfEmpty(sandbox.Hostname),
            Namespaces = namespaces,
            CgroupsPath = context.CgroupsPath,
            Sysctls = PodSysctls(sandbox, namespaces),
            Privileged = podSc.Privileged,
            RunAsUser = podSc.RunAsUser?.Value,
            RunAsGroup = podSc.RunAsGroup?.Value,
#pragma warning disable CS0612 // deprecated but still sent by older clients
            Seccomp = Seccomp(podSc.Seccomp, podSc.SeccompProfilePath),
#pragma warning restore CS0612
            PodFiles = context.PodFiles,
        };
    }

    const string NamespaceField = "linux.security_context.namespace_options";

    /// <summary>
    /// What a container gets, as containerd decides it: network and IPC (and UTS, which follows the network) are always
    /// the pod's, so one container cannot leave the pod for the host's; PID is the container's choice of POD, CONTAINER
    /// or TARGET, and NODE only in a pod that has the host's PID namespace. A container asking for a host namespace its
    /// pod does not have is refused.
    /// </summary>
    public static NamespaceOption ContainerNamespaceOptions(NamespaceOption? container, NamespaceOption pod)
    {
        if (container is null) return pod;
        if (container.Network == CriNamespaceMode.Node && pod.Network != CriNamespaceMode.Node)
            throw new SpecException($"{NamespaceField}.network is NODE but the pod does not use the host network; containers share the pod's network namespace");
        if (container.Ipc == CriNamespaceMode.Node && pod.Ipc != CriNamespaceMode.Node)
            throw new SpecException($"{NamespaceField}.ipc is NODE but the pod does not use the host IPC namespace; containers share the pod's IPC namespace");
        if (container.Pid == CriNamespaceMode.Node && pod.Pid != CriNamespaceMode.Node)
            throw new SpecException($"{NamespaceField}.pid is NODE but the pod does not use the host PID namespace");
        if (container.Pid == CriNamespaceMode.Target && string.IsNullOrEmpty(container.TargetId))
            throw new SpecException($"{NamespaceField}.target_id must name a container of the pod when pid is TARGET");
        return new NamespaceOption
        {
            Network = pod.Network, Ipc = pod.Ipc, Pid = container.Pid, TargetId = container.TargetId,
            UsernsOptions = container.UsernsOptions ?? pod.UsernsOptions,
        };
    }

    /// <summary>
    /// NODE = host namespace; POD = the pinned pod namespace (a fresh one if none is pinned). UTS follows the network.
    /// PID: CONTAINER = new, POD = the pod's, TARGET = the target container's.
    /// </summary>
    public static NamespacesInput Namespaces(NamespaceOption options, PodNamespacePaths paths, string? targetPidPath)
    {
        RequireSupportedUserNamespaceMode(options.UsernsOptions);
        if (options.UsernsOptions?.Mode == CriNamespaceMode.Pod && paths.User is null)
            throw new SpecException("namespace_options.userns_options.mode is POD but the pod sandbox has no user namespace");
        static NamespaceRef Shared(CriNamespaceMode mode, string? path) =>
            mode == CriNamespaceMode.Node ? NamespaceRef.Host : path is { Length: > 0 } ? NamespaceRef.Join(path) : NamespaceRef.New;

        var pid = options.Pid switch
        {
            CriNamespaceMode.Node => NamespaceRef.Host,
            CriNamespaceMode.Pod => paths.Pid is { Length: > 0 } p ? NamespaceRef.Join(p) : NamespaceRef.New,
            CriNamespaceMode.Target => targetPidPath is { Length: > 0 } t ? NamespaceRef.Join(t)
                : throw new SpecException($"pid namespace target \"{options.TargetId}\" is not running"),
            _ => NamespaceRef.New,
        };
        return new NamespacesInput
        {
            Network = Shared(options.Network, paths.Network),
            Ipc = Shared(options.Ipc, paths.Ipc),
            Uts = Shared(options.Network, paths.Uts),
            Pid = pid,
            // The pod decides: its containers all join its user namespace (the namespaces above belong to it).
            User = paths.User,
        };
    }

    /// <summary>
    /// The user namespace a pod asks for (userns_options mode POD with its mappings), validated; null for the host's.
    /// A pod in its own user namespace cannot share the host's network, PID or IPC namespace (kubelet refuses that too).
    /// </summary>
    public static UserNamespaceMappings? PodUserNamespace(PodSandboxConfig sandbox)
    {
        var ns = sandbox.Linux?.SecurityContext?.NamespaceOptions;
        RequireSupportedUserNamespaceMode(ns?.UsernsOptions);
        if (ns?.UsernsOptions is not { Mode: CriNamespaceMode.Pod } userns) return null;
        var mappings = new UserNamespaceMappings([.. userns.Uids.Select(IdMapping)], [.. userns.Gids.Select(IdMapping)]);
        IdMaps.Validate(mappings.Uids, "namespace_options.userns_options.uids");
        IdMaps.Validate(mappings.Gids, "namespace_options.userns_options.gids");
        foreach (var (name, mode) in new[] { ("network", ns.Network), ("pid", ns.Pid), ("ipc", ns.Ipc) })
            if (mode == CriNamespaceMode.Node)
                throw new SpecException($"namespace_options.{name} is NODE, which a pod in its own user namespace (userns_options mode POD) cannot share");
        return mappings;
    }

    /// <summary>The pinned user namespace of a pod as the spec joins it, or null when the pod has none.</summary>
    public static UserNamespaceInput? PodUserNamespaceInput(PodSandboxConfig sandbox, string? pinnedPath) =>
        pinnedPath is { Length: > 0 } && PodUserNamespace(sandbox) is { } m ? new UserNamespaceInput(pinnedPath, m.Uids, m.Gids) : null;

    static void RequireSupportedUserNamespaceMode(UserNamespace? userns)
    {
        if (userns is { Mode: CriNamespaceMode.Target or CriNamespaceMode.Container })
            throw new SpecException($"namespace_options.userns_options.mode {userns.Mode.ToString().ToUpperInvariant()} is not supported; use POD (a user namespace for the pod) or NODE");
    }

    static CriShim.Oci.Specs.Model.IdMapping IdMapping(IDMapping m) => new(m.ContainerId, m.HostId, m.Length);

    /// <summary>
    /// A CRI mount as a bind: of its host path, or of what the daemon prepared for it (<paramref name="preparedSources"/>,
    /// by container path): the stacked image of an image volume (always read-only), the idmapped clone of a mapped mount.
    /// </summary>
    public static MountInput MapMount(CriMount mount, IReadOnlyDictionary<string, string>? preparedSources = null)
    {
        var prepared = preparedSources?.GetValueOrDefault(mount.ContainerPath);
        if (mount.Image is { Image.Length: > 0 } image)
        {
            if (prepared is null)
                throw new SpecException($"image volume at \"{mount.ContainerPath}\" ({image.Image}) was not mounted");
            return new MountInput(mount.ContainerPath, prepared, Readonly: true, OciPropagation.Private);
        }
        if ((mount.UidMappings.Count > 0 || mount.GidMappings.Count > 0) && prepared is null)
            throw new SpecException($"id-mapped mount at \"{mount.ContainerPath}\" was not prepared (it needs the pod's user namespace)");
        var propagation = mount.Propagation switch
        {
            CriPropagation.PropagationBidirectional => OciPropagation.Bidirectional,
            CriPropagation.PropagationHostToContainer => OciPropagation.HostToContainer,
            _ => OciPropagation.Private,
        };
        return new MountInput(mount.ContainerPath, prepared ?? mount.HostPath, mount.Readonly || mount.RecursiveReadOnly, propagation);
    }

    public static SecurityInput Security(LinuxContainerSecurityContext sc) => new()
    {
        Privileged = sc.Privileged,
        AddCapabilities = [.. sc.Capabilities?.AddCapabilities ?? []],
        DropCapabilities = [.. sc.Capabilities?.DropCapabilities ?? []],
        AddAmbientCapabilities = [.. sc.Capabilities?.AddAmbientCapabilities ?? []],
        RunAsUser = sc.RunAsUser?.Value,
        RunAsGroup = sc.RunAsGroup?.Value,
        RunAsUsername = NullIfEmpty(sc.RunAsUsername),
        SupplementalGroups = [.. sc.SupplementalGroups],
        ReadonlyRootfs = sc.ReadonlyRootfs,
        NoNewPrivileges = sc.NoNewPrivs,
        MaskedPaths = sc.MaskedPaths.Count > 0 ? [.. sc.MaskedPaths] : null,
        ReadonlyPaths = sc.ReadonlyPaths.Count > 0 ? [.. sc.ReadonlyPaths] : null,
#pragma warning disable CS0612 // the deprecated fields are still sent by older kubelets and crictl
        Seccomp = Seccomp(sc.Seccomp, sc.SeccompProfilePath),
        ApparmorProfile = Apparmor(sc.Apparmor, sc.ApparmorProfile),
#pragma warning restore CS0612
    };

    /// <summary>
    /// The seccomp field wins over the deprecated path. With neither, RuntimeDefault (as CRI-O does), so a bare
    /// request is still filtered; kubelet always sends the field explicitly.
    /// </summary>
    public static SeccompInput Seccomp(SecurityProfile? profile, string? deprecatedPath)
    {
        if (profile is not null)
        {
            return profile.ProfileType switch
            {
                SecurityProfile.Types.ProfileType.Unconfined => SeccompInput.Unconfined,
                SecurityProfile.Types.ProfileType.Localhost => new SeccompInput(SeccompKind.Localhost, LocalhostPath(profile.LocalhostRef)),
                _ => SeccompInput.RuntimeDefault,
            };
        }
        return deprecatedPath switch
        {
            // Nothing asked means unconfined, as containerd 1.6 and CRI-O answer (kubelet always asks explicitly).
            null or "" or "unconfined" => SeccompInput.Unconfined,
            "runtime/default" or "docker/default" => SeccompInput.RuntimeDefault,
            _ when deprecatedPath.StartsWith("localhost/", StringComparison.Ordinal) =>
                new SeccompInput(SeccompKind.Localhost, LocalhostPath(deprecatedPath["localhost/".Length..])),
            _ => throw new SpecException($"unknown seccomp profile \"{deprecatedPath}\""),
        };
    }

    private static string LocalhostPath(string reference)
    {
        if (string.IsNullOrEmpty(reference)) throw new SpecException("seccomp Localhost profile needs localhost_ref");
        return reference.StartsWith('/') ? reference : throw new SpecException($"seccomp localhost_ref \"{reference}\" must be an absolute path");
    }

    /// <summary>Only an explicit Localhost AppArmor profile is applied; the daemon loads no profile of its own.</summary>
    public static string? Apparmor(SecurityProfile? profile, string? deprecated)
    {
        if (profile is not null)
            return profile.ProfileType == SecurityProfile.Types.ProfileType.Localhost ? NullIfEmpty(profile.LocalhostRef) : null;
        return deprecated is { } d && d.StartsWith("localhost/", StringComparison.Ordinal) ? NullIfEmpty(d["localhost/".Length..]) : null;
    }

    public static ResourcesInput Resources(LinuxContainerResources? r) => r is null ? new ResourcesInput() : new ResourcesInput
    {
        CpuPeriod = r.CpuPeriod,
        CpuQuota = r.CpuQuota,
        CpuShares = r.CpuShares,
        MemoryLimitBytes = r.MemoryLimitInBytes,
        MemorySwapLimitBytes = r.MemorySwapLimitInBytes,
        OomScoreAdj = r.OomScoreAdj,
        CpusetCpus = NullIfEmpty(r.CpusetCpus),
        CpusetMems = NullIfEmpty(r.CpusetMems),
        Hugepages = [.. r.HugepageLimits.Select(h => new HugepageInput(h.PageSize, h.Limit))],
    };

    /// <summary>What the pod's hostname/hosts/resolv.conf are written from (pod IPs may be added later with WriteHostsAsync).</summary>
    public static PodFilesInput PodFiles(PodSandboxConfig sandbox, IReadOnlyList<string>? podIps = null)
    {
        var hostNetwork = sandbox.Linux?.SecurityContext?.NamespaceOptions?.Network == CriNamespaceMode.Node;
        var dns = sandbox.DnsConfig;
        return new PodFilesInput
        {
            Hostname = NullIfEmpty(sandbox.Hostname),
            HostNetwork = hostNetwork,
            Dns = dns is null ? null : new DnsSettings([.. dns.Servers], [.. dns.Searches], [.. dns.Options]),
            PodIps = podIps ?? [],
        };
    }

    /// <summary>Pod sysctls, minus those that would change the host's namespaces (net.* with host network, IPC ones with host IPC).</summary>
    public static IReadOnlyDictionary<string, string> PodSysctls(PodSandboxConfig sandbox, NamespacesInput namespaces)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in sandbox.Linux?.Sysctls ?? [])
        {
            if (namespaces.Network.Mode == OciNamespaceMode.Host && key.StartsWith("net.", StringComparison.Ordinal)) continue;
            if (namespaces.Ipc.Mode == OciNamespaceMode.Host && IsIpcSysctl(key)) continue;
            result[key] = value;
        }
        return result;
    }

    private static bool IsIpcSysctl(string key) =>
        key is "kernel.shmmax" or "kernel.shmall" or "kernel.shmmni" or "kernel.shm_rmid_forced" or "kernel.msgmax"
            or "kernel.msgmnb" or "kernel.msgmni" or "kernel.sem" || key.StartsWith("fs.mqueue.", StringComparison.Ordinal);

    private static string ImageName(ImageSpec? image) =>
        NullIfEmpty(image?.UserSpecifiedImage) ?? image?.Image ?? "";

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
