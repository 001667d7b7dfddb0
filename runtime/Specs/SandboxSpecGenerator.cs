using CriShim.Oci.Specs.Model;

namespace CriShim.Oci.Specs;

/// <summary>Builds the infra ("pause") spec of a pod.</summary>
public sealed class SandboxSpecGenerator(IHostEnvironment host)
{
    public SandboxSpecGenerator() : this(new LinuxHostEnvironment()) { }

    public Spec Generate(SandboxSpecInput input) => SpecBuilder.Build(Options(input));

    public IReadOnlyList<SpecOption> Options(SandboxSpecInput input)
    {
        if (string.IsNullOrEmpty(input.SandboxId)) throw new SpecException("sandbox id is empty");
        if (input.Args.Count == 0) throw new SpecException("the infra process needs a command");
        var uid = input.RunAsUser is { } u ? checked((uint)u) : 0u;
        var gid = input.RunAsGroup is { } g ? checked((uint)g) : 0u;
        var utsHost = input.Namespaces.Uts.Mode == NamespaceMode.Host;
        var caps = OciDefaults.Capabilities;
        var options = new List<SpecOption>
        {
            SpecOptions.WithProcessArgs(input.Args),
            SpecOptions.WithEnv(input.Env),
            SpecOptions.WithDefaultEnv(OciDefaults.Path),
            SpecOptions.WithCwd("/"),
            SpecOptions.WithUser(uid, gid, [gid]),
            SpecOptions.WithOomScoreAdj(OomScore.Clamp(input.OomScoreAdj, host.MinimumOomScoreAdj)),
            SpecOptions.WithNoNewPrivileges(true),
            SpecOptions.WithRoot(input.RootfsPath, input.ReadonlyRootfs),
            SpecOptions.WithHostname(utsHost ? null : input.Hostname),
            SpecOptions.WithDefaultMounts(),
            // The infra process needs none of the pod files; /dev/shm comes from the pod so IPC peers share it.
            SpecOptions.WithMounts(ContainerSpecGenerator.PodFileMounts(input.PodFiles is { } f ? new PodFilePaths(Shm: f.Shm) : null, false)),
            SpecOptions.WithNamespaces(input.Namespaces),
            SpecOptions.WithDefaultDevices(),
            SpecOptions.WithSysctls(input.Sysctls),
            SpecOptions.WithCgroupsPath(input.CgroupsPath),
            SpecOptions.WithAnnotations(new Dictionary<string, string>
            {
                [CriAnnotations.ContainerType] = CriAnnotations.ContainerTypeSandbox,
                [CriAnnotations.SandboxId] = input.SandboxId,
                [CriAnnotations.SandboxName] = input.SandboxName,
                [CriAnnotations.SandboxNamespace] = input.SandboxNamespace,
                [CriAnnotations.SandboxUid] = input.SandboxUid,
                [CriAnnotations.SandboxLogDirectory] = input.LogDirectory ?? "",
            }),
        };
        if (input.Privileged)
        {
            options.Add(SpecOptions.WithPrivileged(host.HostDevices(), host.Capabilities));
            return options;
        }
        options.Add(SpecOptions.WithCapabilities(caps));
        options.Add(SpecOptions.WithMaskedPaths(OciDefaults.MaskedPaths));
        options.Add(SpecOptions.WithReadonlyPaths(OciDefaults.ReadonlyPaths));
        options.Add(SpecOptions.WithSeccomp(ContainerSpecGenerator.Seccomp(input.Seccomp, caps)));
        return options;
    }
}
