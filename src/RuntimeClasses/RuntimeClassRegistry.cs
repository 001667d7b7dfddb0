using CriShim.Errors;
using CriShim.Config;
using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using CriShim.Stores;

namespace CriShim.RuntimeClasses;

/// <summary>
/// The configured RuntimeClass handlers ("runtimes" in the config), built once at start: per handler its runtime
/// client (binary, private --root, extra flags), a conmon monitor driving that binary, its kind, and whether this
/// host can run it. "" names the default handler. A pod keeps the handler it was created with, so every later
/// call resolves its runtime through <see cref="For(PodRecord)"/>.
/// </summary>
public sealed class RuntimeClassRegistry
{
    readonly Dictionary<string, RuntimeClass> _byName;

    public RuntimeClassRegistry(CriShimOptions options, ILoggerFactory loggers)
    {
        var log = loggers.CreateLogger<RuntimeClassRegistry>();
        var configured = options.Runtimes.Count > 0 ? options.Runtimes : RuntimeClassOptions.Defaults(options.Runc);
        if (!configured.ContainsKey(options.DefaultRuntime))
            throw new InvalidOperationException($"defaultRuntime \"{options.DefaultRuntime}\" is not one of the configured runtimes: {string.Join(", ", configured.Keys)}");
        var layout = new DaemonLayout(options);
        _byName = new(StringComparer.Ordinal);
        foreach (var (name, o) in configured)
        {
            var handler = Build(name, o, options, layout, loggers);
            _byName[name] = handler;
            if (handler.Problem is { } problem) log.LogWarning("runtime handler {Handler} cannot run pods here: {Problem}", name, problem);
            else log.LogInformation("runtime handler {Handler}: {Kind} runtime {Binary}", name, handler.Kind.Name, handler.Binary);
        }
        DefaultName = options.DefaultRuntime;
        var conmon = RuncClient.ResolveBinary(options.Conmon);
        if (!File.Exists(conmon))
        {
            MonitorProblem = $"conmon binary \"{conmon}\" not found (make deps installs it); no container can run";
            log.LogError("{Problem}", MonitorProblem);
        }
    }

    /// <summary>Why no handler can run containers (the conmon monitor is missing), or null.</summary>
    public string? MonitorProblem { get; }

    public string DefaultName { get; }
    public RuntimeClass Default => _byName[DefaultName];
    public IReadOnlyCollection<RuntimeClass> All => _byName.Values;

    /// <summary>The handler a RunPodSandbox request names ("" = the default), or null when none is configured by that name.</summary>
    public RuntimeClass? Find(string name) => _byName.GetValueOrDefault(string.IsNullOrEmpty(name) ? DefaultName : name);

    /// <summary>The handler for a new pod: InvalidArgument naming the configured ones when unknown,
    /// FailedPrecondition with the reason when this host cannot run it.</summary>
    public RuntimeClass Resolve(string name)
    {
        var handler = Find(name) ?? throw DomainException.Invalid(
            $"unknown runtime handler \"{name}\"; configured handlers: {string.Join(", ", _byName.Keys)}");
        if (handler.Problem is { } problem) throw DomainException.Precondition($"runtime handler \"{handler.Name}\" cannot run pods on this host: {problem}");
        return handler;
    }

    /// <summary>The handler an existing pod runs on. A handler removed from the config since is an error the caller reports.</summary>
    public RuntimeClass For(PodRecord pod) => Find(pod.RuntimeHandler)
        ?? throw DomainException.Precondition($"pod sandbox \"{pod.Id}\" uses runtime handler \"{pod.RuntimeHandler}\", which is no longer configured");

    /// <summary>The handler of a pod, or the default one for records whose pod is gone (cleanup after a crash).</summary>
    public RuntimeClass ForOrDefault(PodRecord? pod) => pod is null ? Default : Find(pod.RuntimeHandler) ?? Default;

    static RuntimeClass Build(string name, RuntimeClassOptions o, CriShimOptions options, DaemonLayout layout, ILoggerFactory loggers)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/') || name is "." or "..")
            throw new InvalidOperationException($"invalid runtime handler name \"{name}\"");
        var kind = RuntimeKinds.Find(o.Kind) ?? throw new InvalidOperationException(
            $"runtime handler \"{name}\": unknown kind \"{o.Kind}\"; known kinds: {string.Join(", ", RuntimeKinds.Names)}");
        var binary = RuncClient.ResolveBinary(string.IsNullOrEmpty(o.Path) ? name : o.Path);
        var root = string.IsNullOrEmpty(o.Root) ? layout.RuntimeRoot(name) : o.Root;
        string? problem = null;
        var notes = new List<string>();
        if (!File.Exists(binary)) problem = $"runtime binary \"{binary}\" not found (make deps installs runc, crun and runsc)";
        else if (Path.GetFileName(binary) == "crun" && HostChecks.HybridCgroup2Controllers() is { Count: > 0 } controllers)
            problem = HostChecks.CrunHybridProblem(controllers);

        var command = problem is null ? kind.PrepareCommand(binary, layout.ShimDir(name), notes) : binary;
        var runtime = new RuncClient(command, root, loggers.CreateLogger<RuncClient>()) { ExtraGlobalArgs = o.Args };
        var settings = new MonitorSettings(options.Conmon, layout.MonitorDir);
        return new RuntimeClass
        {
            Name = name, Kind = kind, Binary = binary, Runtime = runtime, Problem = problem, Notes = notes,
            Monitor = new ContainerMonitor(settings, runtime, loggers.CreateLogger<ContainerMonitor>()),
        };
    }
}
