using CriShim.Bench;
using CriShim.Bench.Infra;
using CriShim.Bench.Reporting;
using CriShim.Bench.Workloads;

namespace CriShim.Tests.Unit.Bench;

public sealed class ReportTests
{
    static readonly MachineInfo Machine = new("AMD EPYC", 2, "23.5 GiB", "6.18", "Debian 12", "v1 (hybrid)", ".NET 10", "runc 1.1.5", "conmon 2.1.6",
        "containernetworking-plugins 1.1.1", new Dictionary<string, string> { ["CriShim"] = "CriShim abc", ["containerd"] = "containerd 1.6.20" });

    static RunConditions Conditions(string? crictl = "crictl version 1.26.0", LoadVerdict verdict = LoadVerdict.Quiet, double load = 0.4) =>
        new(CniMode.Realistic, "bridge (ipMasq) → portmap → firewall → tuning", load, 1.0, verdict, crictl, "PATH and /opt/critools/crictl") { LoadAfter = 0.9 };

    static string Markdown(Measurements m, RunConditions c) => new Report(m, Machine, c, BenchSettings.QuickRun(null), TimeSpan.FromMinutes(2)).ToMarkdown();

    [Test]
    public void Without_crictl_the_crictl_group_says_not_measured_and_the_grpc_group_is_still_there()
    {
        var m = new Measurements();
        m.Add("crishim", "RunPodSandbox", 60);
        m.Add("containerd", "RunPodSandbox", 100);
        var md = Markdown(m, Conditions(crictl: null));
        Assert.That(md, Does.Contain("not measured: crictl not found"));
        Assert.That(md, Does.Contain("| RunPodSandbox | 60.0 | 100 | 0.60 "));
    }

    [Test]
    public void With_crictl_both_groups_are_printed_with_their_targets()
    {
        var m = new Measurements();
        foreach (var (metric, shim, ctrd) in new[] { ("crictl runp", 40.0, 100.0), ("crictl create+start", 90.0, 100.0), (LifecycleWorkload.CreateAndStart, 70.0, 100.0) })
        {
            m.Add("crishim", metric, shim);
            m.Add("containerd", metric, ctrd);
        }
        var md = Markdown(m, Conditions());
        Assert.That(md, Does.Contain("## Pod lifecycle over gRPC"));
        Assert.That(md, Does.Contain("## Pod lifecycle through crictl"));
        Assert.That(md, Does.Contain("| RunPodSandbox (`crictl runp`) | 40.0 | 100 | 0.40 "));
        Assert.That(md, Does.Match(@"\| RunPodSandbox \(`crictl runp`\) .*≤ 0\.5: ✅ met \|"));
        Assert.That(md, Does.Match(@"crictl start`\) \| 90\.0 .*≤ 0\.8: ❌ missed \|"));
        Assert.That(md, Does.Match(@"\| CreateContainer\+StartContainer \| 70\.0 .*≤ 0\.8: ✅ met \|"));
    }

    [Test]
    public void The_machine_state_shows_the_load_before_and_after_and_the_cni_chain()
    {
        var md = Markdown(new Measurements(), Conditions());
        Assert.That(md, Does.Contain("| Load average (1 min) | before 0.40, after 0.90 (limit 1.0) |"));
        Assert.That(md, Does.Contain("bridge (ipMasq) → portmap → firewall → tuning"));
        Assert.That(md, Does.Contain("| crictl | crictl version 1.26.0 |"));
        Assert.That(md, Does.Contain("| CNI plugins | containernetworking-plugins 1.1.1 |"));
    }

    [Test]
    public void A_forced_run_on_a_busy_machine_says_so_in_its_report()
    {
        var md = Markdown(new Measurements(), Conditions(verdict: LoadVerdict.Forced, load: 3.2));
        Assert.That(md, Does.Contain("before 3.20"));
        Assert.That(md, Does.Contain("forced"));
    }

    [Test]
    public void The_runc_floor_is_shown_with_how_far_each_runtime_is_above_it()
    {
        var m = new Measurements();
        m.Add(RuncFloorWorkload.Key, RuncFloorWorkload.Metric, 20);
        m.Add("crishim", LifecycleWorkload.CreateAndStart, 45);
        m.Add("containerd", LifecycleWorkload.CreateAndStart, 60);
        var md = Markdown(m, Conditions());
        Assert.That(md, Does.Contain("p50 20.0 ms"));
        Assert.That(md, Does.Contain("CriShim +25.0 ms, containerd +40.0 ms"));
    }

    [Test]
    public void The_density_rows_show_each_checkpoint_the_growth_to_the_last_and_the_restart_time_against_its_target()
    {
        var settings = BenchSettings.Full(20);
        Assert.That(settings.DensityCheckpoints, Is.EqualTo(new[] { 1, 100, 250 }));
        var m = new Measurements();
        foreach (var (rt, at1, at250, restart) in new[] { ("crishim", 1.0, 1.5, 700.0), ("containerd", 4.0, 5.0, 1400.0) })
        {
            m.Add(rt, DensityWorkload.At("ListContainerStats", 1), at1);
            m.Add(rt, DensityWorkload.At("ListContainerStats", 250), at250);
            m.Add(rt, DensityWorkload.At(DensityWorkload.Restart, 100), restart);
        }
        var md = new Report(m, Machine, Conditions(), settings, TimeSpan.FromMinutes(2)).ToMarkdown();
        string[] rows =
        [
            "| ListContainerStats p99 at 1 pod (ms) | 1.00 | 4.00 | 0.25 |",
            "| ListContainerStats p99 at 100 pods (ms) | – | – |",
            "| ListContainerStats p99 at 250 pods (ms) | 1.50 | 5.00 | 0.30 | ≤ 1: ✅ met |",
            "| ListContainerStats p99 growth 250 pods / 1 pod (×) | 1.50 | 1.25 | | ≤ 2× (CriShim): ✅ met |",
            "| restart: start to serving with 100 pods recorded (ms) | 700 | 1400 | 0.50 | ≤ 1000 ms (CriShim): ✅ met |",
        ];
        foreach (var row in rows) Assert.That(md, Does.Contain(row));
    }

    [Test]
    public void The_node_memory_row_is_daemon_plus_helpers_PSS_at_100_pods_of_3_containers_against_0_7()
    {
        var m = new Measurements();
        foreach (var (rt, total, daemon, helpers) in new[] { ("crishim", 70.0, 40.0, 300.0), ("containerd", 140.0, 60.0, 100.0) })
        {
            m.Add(rt, NodeMemoryWorkload.Total, total);
            m.Add(rt, NodeMemoryWorkload.DaemonPss, daemon);
            m.Add(rt, NodeMemoryWorkload.Helpers, helpers);
        }
        var md = new Report(m, Machine, Conditions(), BenchSettings.Full(20), TimeSpan.FromMinutes(2)).ToMarkdown();
        Assert.That(md, Does.Contain("| node memory: daemon + all helpers, PSS, 100 pods x 3 containers (MiB) | 70.0 | 140 | 0.50 | ≤ 0.7: ✅ met |"));
        Assert.That(md, Does.Contain("| node memory: daemon alone, PSS, 100 pods x 3 containers (MiB) | 40.0 | 60.0 | 0.67 |"));
        Assert.That(md, Does.Contain("| node memory: helper processes, 100 pods x 3 containers | 300 | 100 | 3.00 |"));
    }

    [Test]
    public void The_command_line_takes_the_node_memory_size_quick_runs_make_10_pods()
    {
        Assert.That(BenchSettings.Full(20, null, BenchOptions.Parse(["--memory-pods", "5"]).MemoryPods).NodeMemoryPods, Is.EqualTo(5));
        Assert.That(BenchSettings.QuickRun(null).NodeMemoryPods, Is.EqualTo(10));
        Assert.That(BenchOptions.Parse(["--workloads", "memory"]).Workloads, Is.EqualTo(new[] { "memory" }));
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--memory-pods", "0"]));
    }

    [Test]
    public void The_command_line_takes_the_density_size_and_a_workload_subset()
    {
        var o = BenchOptions.Parse(["--density-pods", "40", "--workloads", "density,image"]);
        Assert.That(o.DensityPods, Is.EqualTo(40));
        Assert.That(o.Workloads, Is.EqualTo(new[] { "density", "image" }));
        Assert.That(BenchSettings.QuickRun(null, o.DensityPods).DensityCheckpoints, Is.EqualTo(new[] { 1, 40 }), "the restart happens at the last pod when fewer than 100");
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--workloads", "density,nap"]));
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--density-pods", "0"]));
    }

    [Test]
    public void The_command_line_takes_the_realism_options()
    {
        var o = BenchOptions.Parse(["--quick", "--cni", "minimal", "--crictl", "/opt/x/crictl", "--force", "--settle", "30", "--max-load", "1.5", "--out", "/tmp/o"]);
        Assert.That((o.Cni, o.Crictl, o.Force, o.SettleSeconds, o.MaxLoad, o.OutDir), Is.EqualTo((CniMode.Minimal, "/opt/x/crictl", true, 30, 1.5, "/tmp/o")));
        var defaults = BenchOptions.Parse([]);
        Assert.That((defaults.Cni, defaults.Force, defaults.Crictl), Is.EqualTo((CniMode.Realistic, false, (string?)null)));
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--cni", "fancy"]));
    }
}

public sealed class ReadmeTablesTests
{
    const string Report = "# title\n\nintro\n\n## Pod lifecycle over gRPC, sequential\n\n| a | b |\n\n## Burst, density, images\n\n| c |\n\nRatios below 1 mean CriShim is faster.\n";

    [Test]
    public void The_readme_gets_the_reports_tables_between_its_markers_and_keeps_the_rest()
    {
        var readme = $"# CriShim\n\n## Benchmark\n\ntext\n\n{CriShim.Bench.Reporting.ReadmeTables.Begin}\nold table\n{CriShim.Bench.Reporting.ReadmeTables.End}\n\nafter\n";
        var block = CriShim.Bench.Reporting.ReadmeTables.Extract(Report, "The latest full run:");
        var updated = CriShim.Bench.Reporting.ReadmeTables.Replace(readme, block)!;
        Assert.That(updated, Does.Not.Contain("old table"));
        Assert.That(updated, Does.Contain("### Pod lifecycle over gRPC, sequential\n\n| a | b |"));
        Assert.That(updated, Does.Contain("### Burst, density, images"));
        Assert.That(updated, Does.Not.Contain("Ratios below 1"));
        Assert.That(updated, Does.StartWith("# CriShim\n\n## Benchmark\n\ntext\n"));
        Assert.That(updated, Does.EndWith($"{CriShim.Bench.Reporting.ReadmeTables.End}\n\nafter\n"));
    }

    [Test]
    public void A_readme_without_markers_is_left_alone()
    {
        Assert.That(CriShim.Bench.Reporting.ReadmeTables.Replace("# CriShim\n", "block"), Is.Null);
    }
}
