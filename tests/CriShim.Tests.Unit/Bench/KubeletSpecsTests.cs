using System.Diagnostics;
using CriShim.Bench.Kubelet;
using Runtime.V1;

namespace CriShim.Tests.Unit.Bench;

public sealed class KubeletSpecsTests
{
    static readonly NodeLayout Node = new("crishimbench-x", "/b/pod-logs", "/b/kubelet", 24L << 30, ["2MB", "1GB"]);
    const string Uid = "0b4a3c2e-1111-2222-3333-444455556666";
    static readonly DateTime Seen = new(2026, 12, 3, 14, 0, 0, DateTimeKind.Utc);

    static PodSandboxConfig Pod() => KubeletSpecs.Pod(Node, "web-1", Uid, Seen);
    static ContainerConfig Container(PodSandboxConfig pod) => KubeletSpecs.Container(Node, pod, "work", "sha256:abc", KubeletSpecs.StoppableSleep, "1a2b3c4d");

    [Test]
    public void The_pod_carries_the_labels_annotations_dns_and_log_directory_kubelet_sets()
    {
        var pod = Pod();
        Assert.That(pod.Labels["io.kubernetes.pod.name"], Is.EqualTo("web-1"));
        Assert.That(pod.Labels["io.kubernetes.pod.namespace"], Is.EqualTo(KubeletSpecs.PodNamespace));
        Assert.That(pod.Labels["io.kubernetes.pod.uid"], Is.EqualTo(Uid));
        Assert.That(pod.Annotations["kubernetes.io/config.seen"], Is.EqualTo("2026-12-03T14:00:00.0000000Z"));
        Assert.That(pod.Annotations["kubernetes.io/config.source"], Is.EqualTo("api"));
        Assert.That(pod.DnsConfig.Servers, Is.EqualTo(new[] { "10.96.0.10" }));
        Assert.That(pod.DnsConfig.Searches, Does.Contain("svc.cluster.local"));
        Assert.That(pod.DnsConfig.Options, Is.EqualTo(new[] { "ndots:5" }));
        Assert.That(pod.LogDirectory, Is.EqualTo($"/b/pod-logs/{KubeletSpecs.PodNamespace}_web-1_{Uid}"));
        Assert.That(pod.Hostname, Is.EqualTo("web-1"));
    }

    [Test]
    public void Pod_and_container_share_network_and_ipc_per_pod_and_have_a_pid_namespace_per_container()
    {
        var pod = Pod();
        foreach (var ns in new[] { pod.Linux.SecurityContext.NamespaceOptions, Container(pod).Linux.SecurityContext.NamespaceOptions })
        {
            Assert.That(ns.Network, Is.EqualTo(NamespaceMode.Pod));
            Assert.That(ns.Ipc, Is.EqualTo(NamespaceMode.Pod));
            Assert.That(ns.Pid, Is.EqualTo(NamespaceMode.Container));
        }
    }

    [Test]
    public void The_pod_cgroup_sits_in_a_burstable_qos_hierarchy_below_the_runtimes_own_root()
    {
        Assert.That(Pod().Linux.CgroupParent, Is.EqualTo($"/crishimbench-x/kubepods/burstable/pod{Uid}"));
    }

    [Test]
    public void Sandbox_and_container_ask_for_runtime_default_seccomp()
    {
        var pod = Pod();
        var sc = Container(pod).Linux.SecurityContext;
        Assert.That(pod.Linux.SecurityContext.Seccomp.ProfileType, Is.EqualTo(SecurityProfile.Types.ProfileType.RuntimeDefault));
        Assert.That(sc.Seccomp.ProfileType, Is.EqualTo(SecurityProfile.Types.ProfileType.RuntimeDefault));
        Assert.That(sc.MaskedPaths, Does.Contain("/proc/kcore"));
        Assert.That(sc.ReadonlyPaths, Does.Contain("/proc/sys"));
    }

    [Test]
    public void The_container_has_kubelets_labels_annotations_log_path_and_mounts()
    {
        var pod = Pod();
        var c = Container(pod);
        Assert.That(c.Labels["io.kubernetes.container.name"], Is.EqualTo("work"));
        Assert.That(c.Labels["io.kubernetes.pod.uid"], Is.EqualTo(Uid));
        Assert.That(c.Annotations["io.kubernetes.container.restartCount"], Is.EqualTo("0"));
        Assert.That(c.Annotations["io.kubernetes.pod.terminationGracePeriod"], Is.EqualTo("30"));
        Assert.That(c.LogPath, Is.EqualTo("work/0.log"));
        Assert.That(c.Image.Image, Is.EqualTo("sha256:abc"));
        Assert.That(c.Mounts.Select(m => m.ContainerPath), Is.EquivalentTo(new[] { "/var/run/secrets/kubernetes.io/serviceaccount", "/etc/hosts", "/dev/termination-log" }));
        Assert.That(c.Mounts.Single(m => m.ContainerPath == "/dev/termination-log").HostPath, Is.EqualTo($"/b/kubelet/pods/{Uid}/containers/work/1a2b3c4d"));
        Assert.That(c.Envs.Select(e => e.Key), Does.Contain("KUBERNETES_SERVICE_HOST"));
        Assert.That(c.Command, Is.EqualTo(new[] { "sh", "-c" }));
    }

    [Test]
    public void Resources_follow_kubelets_formulas_for_a_burstable_container()
    {
        var r = Container(Pod()).Linux.Resources;
        Assert.That(r.CpuShares, Is.EqualTo(102)); // 100m
        Assert.That(r.CpuPeriod, Is.EqualTo(100_000));
        Assert.That(r.CpuQuota, Is.Zero);
        Assert.That(r.MemoryLimitInBytes, Is.EqualTo(128L << 20));
        Assert.That(r.OomScoreAdj, Is.EqualTo(1000 - 1000 * (64L << 20) / (24L << 30)));
        Assert.That(r.HugepageLimits.Select(h => (h.PageSize, h.Limit)), Is.EqualTo(new[] { ("2MB", 0UL), ("1GB", 0UL) }));
    }

    [TestCase(1L << 20, 1L << 40, 999)]      // tiny request: never besteffort's 1000
    [TestCase(1L << 30, 1L << 30, 3)]        // all the memory: still above guaranteed pods
    [TestCase(1L << 30, 4L << 30, 750)]
    public void The_burstable_oom_score_stays_between_guaranteed_and_besteffort(long request, long capacity, long expected)
    {
        Assert.That(KubeletSpecs.BurstableOomScoreAdj(request, capacity), Is.EqualTo(expected));
    }

    [Test]
    public void Hugepage_sizes_are_named_as_kubelet_names_them()
    {
        var dir = Directory.CreateTempSubdirectory("crishim-unit-hugepages-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "hugepages-1048576kB"));
            Directory.CreateDirectory(Path.Combine(dir, "hugepages-2048kB"));
            Assert.That(NodeLayout.HugepageSizesOf(dir), Is.EqualTo(new[] { "2MB", "1GB" }));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void Host_files_kubelet_makes_exist_where_the_mounts_point()
    {
        var root = Directory.CreateTempSubdirectory("crishim-unit-kubelet-").FullName;
        try
        {
            var node = Node with { LogRoot = Path.Combine(root, "logs"), KubeletRoot = Path.Combine(root, "kubelet") };
            var pod = KubeletSpecs.Pod(node, "web-1", Uid, Seen);
            var c = KubeletSpecs.Container(node, pod, "work", "sha256:abc", KubeletSpecs.StoppableSleep, "1a2b3c4d");
            KubeletSpecs.WritePodFiles(node, pod);
            KubeletSpecs.WriteContainerFiles(c);
            Assert.That(Directory.Exists(pod.LogDirectory), Is.True);
            foreach (var m in c.Mounts) Assert.That(File.Exists(m.HostPath) || Directory.Exists(m.HostPath), Is.True, m.HostPath);
        }
        finally { Directory.Delete(root, true); }
    }

    [Test]
    public async Task The_workload_process_exits_at_once_on_sigterm()
    {
        var p = KubeletSpecs.StoppableSleep;
        var psi = new ProcessStartInfo(p.Command[0]) { UseShellExecute = false };
        foreach (var a in p.Command.Skip(1).Concat(p.Args)) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        // wait until the shell catches SIGTERM (bit 14 of SigCgt), so the signal meets the trap, not the default action
        for (var i = 0; i < 200 && !CatchesSigterm(process.Id); i++) await Task.Delay(50);
        var sw = Stopwatch.StartNew();
        Assert.That(Mono.Unix.Native.Syscall.kill(process.Id, Mono.Unix.Native.Signum.SIGTERM), Is.Zero);
        var exited = process.WaitForExit(5000);
        if (!exited) process.Kill(true);
        Assert.That(exited, Is.True, "still running 5 s after SIGTERM");
        Assert.That(process.ExitCode, Is.Zero);
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    static bool CatchesSigterm(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("SigCgt:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigCgt:".Length..].Trim(), 16) & (1UL << 14)) != 0;
    }
}
