using CriShim.Oci.Specs.Model;

namespace CriShim.Oci.Specs;

/// <summary>Small pure spec options, composed by <see cref="SpecBuilder"/> (after containerd's oci.With* options).</summary>
public static class SpecOptions
{
    private static Process P(Spec s) => s.Process ?? new Process();
    private static Linux L(Spec s) => s.Linux ?? new Linux();
    private static LinuxResources R(Spec s) => L(s).Resources ?? new LinuxResources();
    private static Spec WithResourcesValue(Spec s, LinuxResources r) => s with { Linux = L(s) with { Resources = r } };

    public static SpecOption WithProcessArgs(IReadOnlyList<string> args) => s => s with { Process = P(s) with { Args = [.. args] } };

    public static SpecOption WithEnv(IReadOnlyList<string> env) => s => s with { Process = P(s) with { Env = [.. env] } };

    /// <summary>Adds "KEY=value" unless the process env already has KEY.</summary>
    public static SpecOption WithDefaultEnv(string entry) =>
        s => s with { Process = P(s) with { Env = ProcessArgs.WithDefault(P(s).Env ?? [], entry) } };

    public static SpecOption WithCwd(string cwd) => s => s with { Process = P(s) with { Cwd = ContainerPaths.Clean(cwd, "working directory") } };

    public static SpecOption WithTerminal(bool terminal) => s => s with { Process = P(s) with { Terminal = terminal } };

    public static SpecOption WithRoot(string path, bool readOnly) => s => s with { Root = new Root(path, readOnly) };

    public static SpecOption WithHostname(string? hostname) => s => s with { Hostname = string.IsNullOrEmpty(hostname) ? null : hostname };

    public static SpecOption WithUser(uint uid, uint gid, IReadOnlyList<uint>? additionalGids = null) =>
        s => s with { Process = P(s) with { User = P(s).User with { Uid = uid, Gid = gid, AdditionalGids = additionalGids is null ? null : [.. additionalGids] } } };

    public static SpecOption WithUser(ResolvedUser user) => WithUser(user.Uid, user.Gid, user.AdditionalGids);

    /// <summary>Sets bounding, effective and permitted to <paramref name="caps"/>; ambient caps are also made inheritable.</summary>
    public static SpecOption WithCapabilities(IReadOnlyList<string> caps, IReadOnlyList<string>? ambient = null) => s =>
    {
        var list = caps.Select(CapabilitySet.Normalize).Distinct().ToList();
        var amb = (ambient ?? []).Select(CapabilitySet.Normalize).Distinct().ToList();
        foreach (var a in amb) if (!list.Contains(a)) list.Add(a);
        return s with
        {
            Process = P(s) with
            {
                Capabilities = new Capabilities
                {
                    Bounding = list, Effective = list, Permitted = list,
                    Inheritable = amb.Count > 0 ? amb : null, Ambient = amb.Count > 0 ? amb : null,
                },
            },
        };
    };

    public static SpecOption WithNoNewPrivileges(bool value) => s => s with { Process = P(s) with { NoNewPrivileges = value } };

    public static SpecOption WithOomScoreAdj(int value) => s => s with { Process = P(s) with { OomScoreAdj = value } };

    public static SpecOption WithApparmorProfile(string? profile) =>
        s => s with { Process = P(s) with { ApparmorProfile = string.IsNullOrEmpty(profile) ? null : profile } };

    /// <summary>/proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys (ro), /sys/fs/cgroup (ro).</summary>
    public static SpecOption WithDefaultMounts() => s => s with { Mounts = [.. OciDefaults.Mounts] };

    /// <summary>
    /// Adds mounts, each replacing an existing mount at the same destination, then orders all mounts by depth
    /// (stable) so a parent is mounted before its children.
    /// </summary>
    public static SpecOption WithMounts(IEnumerable<Mount> mounts) => s =>
    {
        var added = mounts.Select(m => m with { Destination = ContainerPaths.Clean(m.Destination, "mount destination") }).ToList();
        var replaced = added.Select(m => m.Destination).ToHashSet(StringComparer.Ordinal);
        var all = (s.Mounts ?? []).Where(m => !replaced.Contains(ContainerPaths.Clean(m.Destination))).Concat(added);
        return s with { Mounts = all.OrderBy(m => ContainerPaths.Depth(m.Destination)).ToList() };
    };

    public static SpecOption WithMaskedPaths(IReadOnlyList<string>? paths) =>
        s => s with { Linux = L(s) with { MaskedPaths = paths is null ? null : [.. paths.Select(p => ContainerPaths.Clean(p, "masked path"))] } };

    public static SpecOption WithReadonlyPaths(IReadOnlyList<string>? paths) =>
        s => s with { Linux = L(s) with { ReadonlyPaths = paths is null ? null : [.. paths.Select(p => ContainerPaths.Clean(p, "readonly path"))] } };

    public static SpecOption WithNamespaces(IReadOnlyList<LinuxNamespace> namespaces) => s => s with { Linux = L(s) with { Namespaces = [.. namespaces] } };

    /// <summary>Mount namespace always new; network/IPC/UTS/PID new, joined by path, or (host) left out; a user
    /// namespace joined by path with its mappings.</summary>
    public static SpecOption WithNamespaces(NamespacesInput ns) => s =>
    {
        var spec = WithNamespaces(NamespaceList(ns))(s);
        return ns.User is { } user ? spec with { Linux = L(spec) with { UidMappings = [.. user.Uids], GidMappings = [.. user.Gids] } } : spec;
    };

    public static IReadOnlyList<LinuxNamespace> NamespaceList(NamespacesInput ns)
    {
        var list = new List<LinuxNamespace> { new(LinuxNamespace.Mount) };
        void Add(string type, NamespaceRef r)
        {
            switch (r.Mode)
            {
                case NamespaceMode.New: list.Add(new LinuxNamespace(type)); break;
                case NamespaceMode.Path:
                    if (string.IsNullOrEmpty(r.Path) || !r.Path.StartsWith('/'))
                        throw new SpecException($"{type} namespace path \"{r.Path}\" must be absolute");
                    list.Add(new LinuxNamespace(type, r.Path));
                    break;
                case NamespaceMode.Host: break;
            }
        }
        Add(LinuxNamespace.Network, ns.Network);
        Add(LinuxNamespace.Ipc, ns.Ipc);
        Add(LinuxNamespace.Uts, ns.Uts);
        Add(LinuxNamespace.Pid, ns.Pid);
        if (ns.User is { } user) Add(LinuxNamespace.User, NamespaceRef.Join(user.Path));
        return list;
    }

    public static SpecOption WithMemory(long? limit, long? swap) =>
        s => WithResourcesValue(s, R(s) with { Memory = limit is null && swap is null ? null : new LinuxMemory { Limit = limit, Swap = swap } });

    public static SpecOption WithCpu(LinuxCpu? cpu) => s => WithResourcesValue(s, R(s) with { Cpu = cpu });

    public static SpecOption WithPidsLimit(long? limit) => s => WithResourcesValue(s, R(s) with { Pids = limit is { } l ? new LinuxPids(l) : null });

    public static SpecOption WithHugepageLimits(IReadOnlyList<LinuxHugepageLimit>? limits) =>
        s => WithResourcesValue(s, R(s) with { HugepageLimits = limits is { Count: > 0 } ? [.. limits] : null });

    /// <summary>The CRI resources: CPU shares/quota/period, cpusets, memory (+swap), hugepages and pids; zero = unset.</summary>
    public static SpecOption WithResources(ResourcesInput r, bool swapAccounting) => s =>
    {
        LinuxCpu? cpu = null;
        if (r.CpuShares > 0 || r.CpuQuota != 0 || r.CpuPeriod > 0 || !string.IsNullOrEmpty(r.CpusetCpus) || !string.IsNullOrEmpty(r.CpusetMems))
        {
            cpu = new LinuxCpu
            {
                Shares = r.CpuShares > 0 ? (ulong)r.CpuShares : null,
                Quota = r.CpuQuota != 0 ? r.CpuQuota : null,
                Period = r.CpuPeriod > 0 ? (ulong)r.CpuPeriod : null,
                Cpus = string.IsNullOrEmpty(r.CpusetCpus) ? null : r.CpusetCpus,
                Mems = string.IsNullOrEmpty(r.CpusetMems) ? null : r.CpusetMems,
            };
        }
        long? limit = r.MemoryLimitBytes > 0 ? r.MemoryLimitBytes : null;
        // Like containerd: without an explicit swap limit, swap = memory so the container cannot swap.
        long? swap = !swapAccounting ? null : r.MemorySwapLimitBytes != 0 ? r.MemorySwapLimitBytes : limit;
        var spec = WithCpu(cpu)(s);
        spec = WithMemory(limit, swap)(spec);
        spec = WithHugepageLimits(r.Hugepages.Select(h => new LinuxHugepageLimit(h.PageSize, h.Limit)).ToList())(spec);
        return r.PidsLimit is > 0 ? WithPidsLimit(r.PidsLimit)(spec) : spec;
    };

    public static SpecOption WithDefaultDevices() => s => WithResourcesValue(s, R(s) with { Devices = [.. OciDefaults.DeviceRules] });

    /// <summary>Adds device nodes and a cgroup allow rule for each, with the given access ("rwm" subset).</summary>
    public static SpecOption WithDevices(IEnumerable<(LinuxDevice Device, string Access)> devices) => s =>
    {
        var nodes = (L(s).Devices ?? []).ToList();
        var rules = (R(s).Devices ?? []).ToList();
        foreach (var (device, access) in devices)
        {
            var perms = string.IsNullOrEmpty(access) ? "rwm" : access;
            if (perms.Any(c => c is not ('r' or 'w' or 'm')) || perms.Distinct().Count() != perms.Length)
                throw new SpecException($"device permissions \"{access}\" for {device.Path} must be a combination of r, w and m");
            var path = ContainerPaths.Clean(device.Path, "device container path");
            nodes.RemoveAll(d => d.Path == path);
            nodes.Add(device with { Path = path });
            rules.Add(new LinuxDeviceCgroup(true, device.Type, device.Major, device.Minor, perms));
        }
        return WithResourcesValue(s with { Linux = L(s) with { Devices = nodes } }, R(s) with { Devices = rules });
    };

    public static SpecOption WithSeccomp(LinuxSeccomp? seccomp) => s => s with { Linux = L(s) with { Seccomp = seccomp } };

    public static SpecOption WithSysctls(IReadOnlyDictionary<string, string> sysctls) =>
        s => s with { Linux = L(s) with { Sysctl = sysctls.Count == 0 ? null : new Dictionary<string, string>(sysctls) } };

    public static SpecOption WithAnnotations(IReadOnlyDictionary<string, string> annotations) => s =>
    {
        var merged = new Dictionary<string, string>(s.Annotations ?? new Dictionary<string, string>());
        foreach (var (k, v) in annotations) merged[k] = v;
        return s with { Annotations = merged.Count == 0 ? null : merged };
    };

    public static SpecOption WithCgroupsPath(string? path) => s => s with { Linux = L(s) with { CgroupsPath = string.IsNullOrEmpty(path) ? null : path } };

    public static SpecOption WithRootfsPropagation(string? propagation) => s => s with { Linux = L(s) with { RootfsPropagation = propagation } };

    /// <summary>
    /// Privileged: every capability, every host device allowed, no masked or readonly paths, /sys and /sys/fs/cgroup
    /// writable, no seccomp filter. <paramref name="allCapabilities"/> is what the daemon holds (default: every known one).
    /// </summary>
    public static SpecOption WithPrivileged(IReadOnlyList<LinuxDevice> hostDevices, IReadOnlyList<string>? allCapabilities = null) => s =>
    {
        var spec = WithCapabilities(allCapabilities ?? CapabilitySet.All)(s);
        var mounts = (spec.Mounts ?? []).Select(m => m.Destination is "/sys" or "/sys/fs/cgroup"
            ? m with { Options = [.. (m.Options ?? []).Where(o => o != "ro").Append("rw")] }
            : m).ToList();
        var existing = (L(spec).Devices ?? []).Select(d => d.Path).ToHashSet(StringComparer.Ordinal);
        var devices = (L(spec).Devices ?? []).Concat(hostDevices.Where(d => !existing.Contains(d.Path))).ToList();
        spec = spec with
        {
            Mounts = mounts,
            Linux = L(spec) with { MaskedPaths = null, ReadonlyPaths = null, Seccomp = null, Devices = devices },
        };
        return WithResourcesValue(spec, R(spec) with { Devices = [new LinuxDeviceCgroup(true, Access: "rwm")] });
    };
}
