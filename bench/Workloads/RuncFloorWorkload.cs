using System.Diagnostics;
using System.Text.Json.Nodes;
using CriShim.Bench.Infra;
using CriShim.Bench.Kubelet;
using CriShim.Bench.Runtimes;

namespace CriShim.Bench.Workloads;

/// <summary>
/// The floor under CreateContainer+StartContainer: bare `runc create` + `runc start` of a bundle that
/// `runc spec` writes (its namespaces, no seccomp, no CNI, no monitor process), the same process as the pods run.
/// </summary>
sealed class RuncFloorWorkload : Workload
{
    public const string Key = "runc";
    public const string Metric = "runc create+start";
    public static string BaseDir => Path.Combine(RuntimeUnderTest.BenchRoot, "runc-floor");
    public const string Cgroup = "crishimbench-runc";
    const int WarmUps = 1;
    static string StateRoot => Path.Combine(BaseDir, "state");
    static string Bundle => Path.Combine(BaseDir, "bundle");

    public override string Title => "runc floor";

    public override int Steps(BenchSettings settings, int runtimes) => settings.LifecycleIterations + WarmUps;

    public override async Task RunAsync(WorkloadContext ctx)
    {
        try
        {
            await CleanAsync();
            await PrepareBundleAsync(ctx.Ct);
            for (var i = -WarmUps; i < ctx.Settings.LifecycleIterations; i++)
            {
                var id = $"floor-{i + WarmUps}";
                var sw = Stopwatch.StartNew();
                await RuncAsync(ctx.Ct, "create", "--bundle", Bundle, id);
                await RuncAsync(ctx.Ct, "start", id);
                if (i >= 0) ctx.Measurements.Add(Key, Metric, sw.Elapsed.TotalMilliseconds);
                await RuncAsync(ctx.Ct, "delete", "--force", id);
                ctx.Advance($"iteration {i + WarmUps + 1}");
            }
        }
        catch (Exception e) when (!ctx.Ct.IsCancellationRequested)
        {
            ctx.Measurements.Note($"{Title}: {e.Message}");
        }
        finally { await CleanAsync(); }
    }

    async Task PrepareBundleAsync(CancellationToken ct)
    {
        var rootfs = Path.Combine(Bundle, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "sleep", "true" }) File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        (await Shell.RunAsync("runc", ["spec", "--bundle", Bundle], ct)).EnsureSuccess("runc spec");
        var configFile = Path.Combine(Bundle, "config.json");
        var spec = JsonNode.Parse(await File.ReadAllTextAsync(configFile, ct))!.AsObject();
        var process = spec["process"]!.AsObject();
        process["terminal"] = false;
        process["args"] = new JsonArray([.. KubeletSpecs.StoppableSleep.Command.Concat(KubeletSpecs.StoppableSleep.Args).Select(a => JsonValue.Create(a))]);
        spec["linux"]!["cgroupsPath"] = $"/{Cgroup}/floor";
        await File.WriteAllTextAsync(configFile, spec.ToJsonString(), ct);
    }

    /// <summary>
    /// runc with pipes for stdio that are not read on success: the container's process inherits runc's stdio
    /// and keeps it open, so reading to the end would wait for the container.
    /// </summary>
    static async Task RuncAsync(CancellationToken ct, params string[] args)
    {
        var psi = new ProcessStartInfo("runc") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--root", StateRoot, .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start runc");
        p.StandardInput.Close();
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0) throw new InvalidOperationException($"runc {args[0]} failed ({p.ExitCode}): {(await p.StandardError.ReadToEndAsync(ct)).Trim()}");
    }

    static async Task CleanAsync()
    {
        if (Directory.Exists(StateRoot))
            foreach (var dir in Directory.EnumerateDirectories(StateRoot))
                await Shell.RunAsync("runc", ["--root", StateRoot, "delete", "--force", Path.GetFileName(dir)]);
        Cgroups.KillAndRemove(Cgroup);
        foreach (var m in ProcFs.MountsUnder(BaseDir)) Native.UnmountDetached(m);
        if (Directory.Exists(BaseDir)) Directory.Delete(BaseDir, recursive: true);
    }
}
