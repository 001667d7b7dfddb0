using CriShim.Oci.Specs.Model;
using CriShim.Oci.Specs.Seccomp;
using CriShim.Oci.Native;

namespace CriShim.Oci.Specs;

/// <summary>
/// Turns a <see cref="ContainerSpecInput"/> into a config.json spec: resolves what needs the host or the rootfs
/// (user, devices, bind sources, seccomp files, oom floor) and composes the pure <see cref="SpecOptions"/>.
/// </summary>
public sealed class ContainerSpecGenerator(IHostEnvironment host)
{
    public ContainerSpecGenerator() : this(new LinuxHostEnvironment()) { }

    public Spec Generate(ContainerSpecInput input) => SpecBuilder.Build(Options(input));

    /// <summary>The ordered options for <paramref name="input"/>; throws <see cref="SpecException"/> on bad input.</summary>
    public IReadOnlyList<SpecOption> Options(ContainerSpecInput input)
    {
        if (string.IsNullOrEmpty(input.ContainerId)) throw new SpecException("container id is empty");
        if (string.IsNullOrEmpty(input.RootfsPath)) throw new SpecException("rootfs path is empty");
        var security = input.Security;
        var options = new List<SpecOption>();

        // Process.
        var args = ProcessArgs.Merge(input.Command, input.Args, input.Image);
        var user = UserResolver.Resolve(input.RootfsPath,
            UserResolver.UserString(security.RunAsUser, security.RunAsUsername, security.RunAsGroup, input.Image.User),
            security.SupplementalGroups);
        var utsHost = input.Namespaces.Uts.Mode == NamespaceMode.Host;
        var hostname = utsHost ? null : input.Hostname;
        options.Add(SpecOptions.WithProcessArgs(args));
        options.Add(SpecOptions.WithEnv(ProcessArgs.MergeEnv(input.Image.Env, input.Env)));
        options.Add(SpecOptions.WithDefaultEnv(OciDefaults.Path));
        if (!string.IsNullOrEmpty(input.Hostname)) options.Add(SpecOptions.WithDefaultEnv("HOSTNAME=" + input.Hostname));
        options.Add(SpecOptions.WithDefaultEnv("HOME=" + user.Home));
        options.Add(SpecOptions.WithCwd(FirstNonEmpty(input.WorkingDir, input.Image.WorkingDir) ?? "/"));
        options.Add(SpecOptions.WithTerminal(input.Tty));
        options.Add(SpecOptions.WithUser(user));
        options.Add(SpecOptions.WithOomScoreAdj(OomScore.Clamp(input.Resources.OomScoreAdj, host.MinimumOomScoreAdj)));
        options.Add(SpecOptions.WithNoNewPrivileges(security.NoNewPrivileges));
        options.Add(SpecOptions.WithApparmorProfile(security.ApparmorProfile));

        // Root, hostname, mounts.
        options.Add(SpecOptions.WithRoot(input.RootfsPath, security.ReadonlyRootfs));
        options.Add(SpecOptions.WithHostname(hostname));
        options.Add(SpecOptions.WithDefaultMounts());
        options.Add(SpecOptions.WithMounts(PodFileMounts(input.PodFiles, security.ReadonlyRootfs)));
        var (binds, propagation) = BindMounts(input.Mounts);
        options.Add(SpecOptions.WithMounts(binds));
        options.Add(SpecOptions.WithRootfsPropagation(propagation));

        // Linux.
        options.Add(SpecOptions.WithNamespaces(input.Namespaces));
        options.Add(SpecOptions.WithDefaultDevices());
        options.Add(SpecOptions.WithDevices(input.Devices.Select(d =>
            (host.Device(d.HostPath, ContainerPaths.Clean(d.ContainerPath, "device container path")), d.Permissions))));
        options.Add(SpecOptions.WithResources(input.Resources, host.SwapAccounting));
        options.Add(SpecOptions.WithSysctls(input.Sysctls));
        options.Add(SpecOptions.WithCgroupsPath(input.CgroupsPath));
        options.Add(SpecOptions.WithAnnotations(input.Annotations));
        options.Add(SpecOptions.WithAnnotations(new Dictionary<string, string>
        {
            [CriAnnotations.ContainerType] = CriAnnotations.ContainerTypeContainer,
            [CriAnnotations.ContainerName] = input.ContainerName,
            [CriAnnotations.SandboxId] = input.SandboxId,
            [CriAnnotations.SandboxName] = input.SandboxName,
            [CriAnnotations.SandboxNamespace] = input.SandboxNamespace,
            [CriAnnotations.SandboxUid] = input.SandboxUid,
            [CriAnnotations.ImageName] = input.ImageName,
        }));

        if (security.Privileged)
        {
            options.Add(SpecOptions.WithPrivileged(host.HostDevices(), host.Capabilities));
            // Explicit drops still apply to privileged containers (kubelet allows that combination).
            if (security.DropCapabilities.Count > 0)
                options.Add(SpecOptions.WithCapabilities(CapabilitySet.Apply(host.Capabilities, [], security.DropCapabilities, host.Capabilities)));
            return options;
        }

        var caps = CapabilitySet.Apply(OciDefaults.Capabilities, security.AddCapabilities, security.DropCapabilities, host.Capabilities);
        options.Add(SpecOptions.WithCapabilities(caps, security.AddAmbientCapabilities));
        options.Add(SpecOptions.WithMaskedPaths(security.MaskedPaths ?? OciDefaults.MaskedPaths));
        options.Add(SpecOptions.WithReadonlyPaths(security.ReadonlyPaths ?? OciDefaults.ReadonlyPaths));
        options.Add(SpecOptions.WithSeccomp(Seccomp(security.Seccomp, caps)));
        return options;
    }

    /// <summary>The seccomp filter for a choice and the container's bounding capabilities (null = unconfined).</summary>
    public static LinuxSeccomp? Seccomp(SeccompInput choice, IEnumerable<string> capabilities) => choice.Kind switch
    {
        SeccompKind.Unconfined => null,
        SeccompKind.Localhost => SeccompProfiles.LoadLocalhost(choice.LocalhostPath ?? ""),
        _ => SeccompProfiles.RuntimeDefault(capabilities),
    };

    /// <summary>Binds of /etc/hostname, /etc/hosts, /etc/resolv.conf and /dev/shm from the pod directory.</summary>
    public static IReadOnlyList<Mount> PodFileMounts(PodFilePaths? files, bool readonlyRootfs)
    {
        if (files is null) return [];
        var mode = readonlyRootfs ? "ro" : "rw";
        var mounts = new List<Mount>();
        void File(string destination, string? source)
        {
            if (!string.IsNullOrEmpty(source)) mounts.Add(new Mount(destination, "bind", source, ["rbind", "rprivate", mode]));
        }
        File("/etc/hostname", files.Hostname);
        File("/etc/hosts", files.Hosts);
        File("/etc/resolv.conf", files.ResolvConf);
        if (!string.IsNullOrEmpty(files.Shm))
            // /dev/shm stays writable with a read-only rootfs, as in containerd: IPC peers need it.
            mounts.Add(new Mount("/dev/shm", "bind", files.Shm, ["rbind", "rprivate", "rw", "nosuid", "nodev", "noexec"]));
        return mounts;
    }

    /// <summary>
    /// CRI bind mounts with validated destinations; missing host sources are created as directories (like containerd)
    /// and symlinked sources resolved. Returns the rootfs propagation they need (rshared/rslave) or null.
    /// </summary>
    public static (IReadOnlyList<Mount> Mounts, string? RootfsPropagation) BindMounts(IEnumerable<MountInput> requests)
    {
        var mounts = new List<Mount>();
        string? rootfsPropagation = null;
        foreach (var request in requests)
        {
            var destination = ContainerPaths.Clean(request.ContainerPath, "mount container path");
            if (string.IsNullOrEmpty(request.HostPath) || !Path.IsPathRooted(request.HostPath))
                throw new SpecException($"mount host path \"{request.HostPath}\" for {destination} must be absolute");
            var source = ResolveSource(request.HostPath);
            string propagation;
            switch (request.Propagation)
            {
                case MountPropagation.Bidirectional:
                    propagation = "rshared";
                    rootfsPropagation = "rshared";
                    break;
                case MountPropagation.HostToContainer:
                    propagation = "rslave";
                    if (rootfsPropagation != "rshared") rootfsPropagation = "rslave";
                    break;
                default:
                    propagation = "rprivate";
                    break;
            }
            mounts.Add(new Mount(destination, "bind", source, ["rbind", propagation, request.Readonly ? "ro" : "rw"]));
        }
        return (mounts, rootfsPropagation);
    }

    /// <summary>A CRI mount's host path with symlinks resolved; a missing one is created as a directory.</summary>
    public static string ResolveSource(string hostPath)
    {
        try
        {
            if (!File.Exists(hostPath) && !Directory.Exists(hostPath))
            {
                if (new FileInfo(hostPath).LinkTarget is not null)
                    throw new SpecException($"mount host path \"{hostPath}\" is a dangling symlink");
                Directory.CreateDirectory(hostPath);
            }
            return LibC.RealPath(hostPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException and not SpecException)
        {
            throw new SpecException($"mount host path \"{hostPath}\" cannot be used: {e.Message}", e);
        }
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrEmpty(v));
}
