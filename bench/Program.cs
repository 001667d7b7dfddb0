using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using CriShim.Bench;
using CriShim.Bench.Crictl;
using CriShim.Bench.Infra;
using CriShim.Bench.Micro;
using CriShim.Bench.Reporting;
using CriShim.Bench.Runtimes;
using CriShim.Bench.Workloads;
using Runtime.V1;
using Spectre.Console;

BenchOptions options;
try { options = BenchOptions.Parse(args); }
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
if (options.Help) { Console.WriteLine(BenchOptions.Usage); return 0; }

var repo = FindRepoRoot();
var outDir = options.OutDir ?? Path.Combine(repo, "bench", "results");
Directory.CreateDirectory(outDir);
if (options.Micro) return MicroBenchmarks.Run(options.Rest, outDir);
if (options.Replot)
{
    var saved = Measurements.FromJson(await File.ReadAllTextAsync(Path.Combine(outDir, "latest.json")));
    Chart.Save(saved, options.Quick ? BenchSettings.QuickRun(options.Iterations, options.DensityPods, options.MemoryPods) : BenchSettings.Full(options.Iterations ?? 20, options.DensityPods, options.MemoryPods), Path.Combine(outDir, "latest.png"));
    return 0;
}

if (!Native.IsRoot) { Console.Error.WriteLine("crishim-bench needs root (it starts container runtimes)"); return 2; }
var missing = new[] { "containerd", "containerd-shim-runc-v2", "runc", "conmon", "docker-registry", "skopeo", "umoci", "setsid", "ip", "iptables-save", "iptables-restore" }
    .Where(t => !OnPath(t)).Append(File.Exists("/usr/lib/cni/bridge") ? null : "/usr/lib/cni/bridge").OfType<string>().ToList();
if (missing.Count > 0) { Console.Error.WriteLine($"missing: {string.Join(", ", missing)} (make bench installs them)"); return 2; }

var settings = options.Quick ? BenchSettings.QuickRun(options.Iterations, options.DensityPods, options.MemoryPods) : BenchSettings.Full(options.Iterations ?? 20, options.DensityPods, options.MemoryPods);
using var cts = new CancellationTokenSource();
var interrupted = false;
void Interrupt(PosixSignalContext ctx)
{
    if (interrupted) return; // a second signal: default handling ends the process
    interrupted = true;
    ctx.Cancel = true;
    Console.Error.WriteLine("\ninterrupted: removing pods and stopping the runtimes...");
    cts.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Interrupt);

var runtimes = new List<RuntimeUnderTest>();
foreach (var key in options.Runtimes)
    runtimes.Add(key == "crishim"
        ? new CriShimRuntime(options.CriShimBinary ?? Path.Combine(repo, "out", "crishim", "crishim"))
        : new ContainerdRuntime());
foreach (var rt in runtimes) rt.KeepLogAs = Path.Combine(outDir, "logs", $"{rt.Key}.log");
var allRuntimes = runtimes.ToList(); // every one is cleaned up, started or not

// The machine's state first: a run on a busy machine is refused unless forced, so latest.md never holds its numbers.
var machine = await MachineInfo.CollectAsync(allRuntimes.Select(rt => (rt.Name, rt.DescribeAsync())));
var crictl = CrictlLocator.Find(options.Crictl, Environment.GetEnvironmentVariable("PATH"), CrictlLocator.IsExecutable);
var crictlVersion = crictl.Path is null ? null : await CrictlClient.VersionAsync(crictl.Path);
var cniTemplate = await CniTemplate.ForAsync(options.Cni, repo, cts.Token);
var loadLimit = options.MaxLoad ?? LoadAverage.DefaultLimit(Environment.ProcessorCount);
PrintMachine(machine, crictl, crictlVersion, options.Cni, CniTemplate.Describe(cniTemplate));
var loadBefore = await LoadAverage.SettleAsync(loadLimit, TimeSpan.FromSeconds(options.SettleSeconds), LoadAverage.OneMinute,
    (load, waited) => Console.WriteLine($"load average {load:0.00} > {loadLimit:0.0}: waiting for it to settle ({waited.TotalSeconds:0} s of {options.SettleSeconds} s)"), cts.Token);
var verdict = LoadAverage.Judge(loadBefore, loadLimit, options.Force);
Console.WriteLine($"load average before the run: {loadBefore:0.00} (limit {loadLimit:0.0} on {Environment.ProcessorCount} cores){(verdict == LoadVerdict.Forced ? ", above the limit: forced" : "")}");
if (verdict == LoadVerdict.Refused)
{
    Console.Error.WriteLine($"refusing to run: the 1-minute load average is {loadBefore:0.00}, above {loadLimit:0.0}, after waiting {options.SettleSeconds} s; " +
                            "numbers from a busy machine do not go into latest.md. Wait, raise --settle, or pass --force (and --out elsewhere).");
    return 3;
}
var conditions = new RunConditions(options.Cni, CniTemplate.Describe(cniTemplate), loadBefore, loadLimit, verdict, crictlVersion, crictl.Searched);

var measurements = new Measurements();
var registry = new LocalRegistry();
var clock = Stopwatch.StartNew();
var workloads = new (string Key, Workload Workload)[]
{
    ("lifecycle", new LifecycleWorkload()), ("floor", new RuncFloorWorkload()), ("crictl", new CrictlLifecycleWorkload(crictl)),
    ("burst", new BurstWorkload()), ("density", new DensityWorkload()), ("memory", new NodeMemoryWorkload()),
    ("image", new ImageWorkload()),
}.Where(w => options.Workloads is null || options.Workloads.Contains(w.Key)).Select(w => w.Workload).ToList();
var status = 0;
try
{
    await AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
        .StartAsync(async progress =>
        {
            var setup = progress.AddTask("Setup: registry and images", maxValue: 1 + 2 * runtimes.Count);
            await registry.StartAsync(Path.Combine(repo, "bench"), cts.Token);
            setup.Increment(1);
            foreach (var rt in runtimes.ToList())
            {
                setup.Description = $"Setup: starting {rt.Name}";
                try { await rt.StartAsync(registry, cniTemplate, cts.Token); }
                catch (Exception e) when (!cts.IsCancellationRequested)
                {
                    // the other runtime is still worth measuring; the report says why this one is missing
                    measurements.Note($"{rt.Name} did not start: {e.Message}");
                    AnsiConsole.MarkupLine($"[red]{Markup.Escape(rt.Name)} did not start:[/] {Markup.Escape(e.Message)}");
                    await rt.DisposeAsync();
                    runtimes.Remove(rt);
                }
                if (rt.NotReadyWarning is { } warning) measurements.Note(warning);
                setup.Increment(1);
            }
            if (runtimes.Count == 0) throw new InvalidOperationException("no runtime started");
            foreach (var rt in runtimes)
            {
                setup.Description = $"Setup: warming up {rt.Name}";
                await WarmUpAsync(rt, registry, measurements, settings, cts.Token);
                setup.Increment(1);
            }
            setup.Description = "Setup";
            setup.StopTask();

            foreach (var w in workloads)
            {
                var task = progress.AddTask(w.Title, maxValue: w.Steps(settings, runtimes.Count));
                var ctx = new WorkloadContext(runtimes, settings, measurements, what =>
                {
                    task.Increment(1);
                    task.Description = $"{w.Title}: {Markup.Escape(what)}";
                }, cts.Token);
                await w.RunAsync(ctx);
                task.Description = w.Title;
                task.Value = task.MaxValue;
                task.StopTask();
            }
        });
}
catch (OperationCanceledException) when (cts.IsCancellationRequested) { status = 130; }
catch (Exception e)
{
    AnsiConsole.MarkupLine($"[red]benchmark failed:[/] {Markup.Escape(e.Message)}");
    status = 1;
}
finally
{
    AnsiConsole.MarkupLine("cleaning up: removing pods, stopping runtimes and the registry...");
    await Task.WhenAll(allRuntimes.Select(rt => rt.DisposeAsync().AsTask()));
    await registry.DisposeAsync();
    await ReportLeftoversAsync(allRuntimes);
}
if (status != 0) return status;

conditions = conditions with { LoadAfter = LoadAverage.OneMinute() };
Console.WriteLine($"load average after the run: {conditions.LoadAfter:0.00}");
var markdown = new Report(measurements, machine, conditions, settings, clock.Elapsed).ToMarkdown();
await File.WriteAllTextAsync(Path.Combine(outDir, "latest.md"), markdown);
Chart.Save(measurements, settings, Path.Combine(outDir, "latest.png"));
await File.WriteAllTextAsync(Path.Combine(outDir, "latest.json"), JsonSerializer.Serialize(
    measurements.All.ToDictionary(kv => $"{kv.Key.Runtime}/{kv.Key.Metric}", kv => kv.Value.Values),
    new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine(markdown);
AnsiConsole.MarkupLine($"written: {Markup.Escape(Path.Combine(outDir, "latest.md"))}, latest.png, latest.json ({clock.Elapsed.TotalMinutes:0.0} min)");
// the README's table follows latest.md, but only for a full run on a quiet machine into bench/results
if (!settings.Quick && options.Workloads is null && verdict == LoadVerdict.Quiet && Path.GetFullPath(outDir) == Path.GetFullPath(Path.Combine(repo, "bench", "results")))
{
    var readme = Path.Combine(repo, "README.md");
    var intro = $"The latest full run ({DateTime.UtcNow:yyyy-MM-dd}, {machine.Cores} cores, {machine.Os}, kernel {machine.Kernel}, {machine.Runc}, " +
                $"{machine.Runtimes.GetValueOrDefault("containerd", "containerd")}; load average {loadBefore:0.00} before it; `bench/results/latest.md`):";
    var updated = ReadmeTables.Replace(await File.ReadAllTextAsync(readme), ReadmeTables.Extract(markdown, intro));
    if (updated is null) AnsiConsole.MarkupLine("[yellow]README.md has no bench result markers: its table is not updated[/]");
    else
    {
        await File.WriteAllTextAsync(readme, updated);
        AnsiConsole.MarkupLine("README.md: bench tables updated from latest.md");
    }
}
return 0;

// Pulls the images the workloads use and runs one unrecorded pod, so first-call costs don't land in the numbers.
static async Task WarmUpAsync(RuntimeUnderTest rt, LocalRegistry registry, Measurements m, BenchSettings settings, CancellationToken ct)
{
    var ctx = new WorkloadContext([rt], settings, m, _ => { }, ct);
    await ctx.StepAsync(rt, "Warm-up pulls", async () =>
    {
        await rt.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = registry.PauseImage } }, deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: ct);
        var pulled = await rt.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = LocalRegistry.WorkloadImage } }, deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: ct);
        rt.WorkloadImageRef = pulled.ImageRef;
    });
    await ctx.StepAsync(rt, "Warm-up pod lifecycle", async () =>
    {
        for (var i = 0; i < 2; i++) await LifecycleWorkload.OneAsync(ctx, rt, i, record: false);
    });
}

static async Task ReportLeftoversAsync(IEnumerable<RuntimeUnderTest> runtimes)
{
    var left = new List<string>();
    foreach (var rt in runtimes)
    {
        left.AddRange(ProcFs.MountsUnder(rt.BaseDir).Select(mp => $"mount {mp}"));
        if (!Cgroups.Gone(rt.CgroupParent)) left.Add($"cgroup {rt.CgroupParent}");
        if (Directory.Exists($"/sys/class/net/{rt.Network.Bridge}")) left.Add($"bridge {rt.Network.Bridge}");
        left.AddRange((await IptablesRules.OfAsync(rt.Network)).Select(r => $"iptables rule {r}"));
        left.AddRange(rt.Helpers().Select(p => $"process {p.Pid} {p.CmdLine}"));
        if (Directory.Exists(rt.BaseDir)) left.Add($"directory {rt.BaseDir}");
    }
    if (!Cgroups.Gone(RuncFloorWorkload.Cgroup)) left.Add($"cgroup {RuncFloorWorkload.Cgroup}");
    if (Directory.Exists(RuncFloorWorkload.BaseDir)) left.Add($"directory {RuncFloorWorkload.BaseDir}");
    if (left.Count == 0) AnsiConsole.MarkupLine("[green]clean:[/] no mounts, cgroups, bridges, processes or directories left behind");
    else foreach (var l in left) AnsiConsole.MarkupLine($"[yellow]left behind:[/] {Markup.Escape(l)}");
}

static void PrintMachine(MachineInfo m, CrictlLookup crictl, string? crictlVersion, CniMode cni, string chain)
{
    Console.WriteLine($"machine: {m.Cpu}, {m.Cores} cores, {m.Memory}; kernel {m.Kernel} ({m.Os}), cgroups {m.Cgroups}");
    Console.WriteLine($"runtimes: {string.Join("; ", m.Runtimes.Select(kv => kv.Value))}; {m.Runc}; {m.Conmon}; {m.CniPlugins}");
    Console.WriteLine($"crictl: {(crictl.Path is null ? $"not found ({crictl.Searched}): the crictl rows are not measured" : $"{crictl.Path} ({crictlVersion})")}");
    Console.WriteLine($"CNI ({cni.ToString().ToLowerInvariant()}): {chain}");
}

static bool OnPath(string tool) =>
    (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

static string FindRepoRoot()
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CriShim.sln"))) return dir.FullName;
    return Environment.CurrentDirectory;
}
