using CriShim.Bench.Infra;

namespace CriShim.Bench;

/// <summary>Command line of crishim-bench.</summary>
sealed record BenchOptions(bool Help, bool Quick, bool Micro, bool Replot, int? Iterations, IReadOnlyList<string> Runtimes, string? CriShimBinary, string? OutDir, string[] Rest)
{
    public CniMode Cni { get; init; } = CniMode.Realistic;
    public string? Crictl { get; init; }
    public bool Force { get; init; }
    /// <summary>How long to wait for the 1-minute load average to fall below <see cref="MaxLoad"/> before refusing.</summary>
    public int SettleSeconds { get; init; } = 240;
    /// <summary>null: half a load unit per core (1.0 on 2 cores).</summary>
    public double? MaxLoad { get; init; }
    /// <summary>null: 250 pods (quick: 20).</summary>
    public int? DensityPods { get; init; }
    /// <summary>null: 100 pods (quick: 10), each of 3 containers.</summary>
    public int? MemoryPods { get; init; }
    /// <summary>null: every workload.</summary>
    public IReadOnlyList<string>? Workloads { get; init; }

    public static readonly string[] WorkloadKeys = ["lifecycle", "floor", "crictl", "burst", "density", "memory", "image"];

    public const string Usage = """
        crishim-bench: CriShim against containerd's CRI plugin, side by side, over CRI gRPC and through crictl.

        usage: crishim-bench [--quick] [--iterations N] [--runtimes crishim,containerd] [--crishim PATH] [--out DIR]
                             [--cni realistic|minimal] [--crictl PATH] [--force] [--settle SECONDS] [--max-load L]
                             [--density-pods N] [--memory-pods N] [--workloads LIST]
               crishim-bench --micro [BenchmarkDotNet arguments, e.g. --filter *Atomic*]

          --quick          smoke run of about two minutes: few iterations, burst of 10, 20 pods for density
          --density-pods N pods the density workload makes (default 250, quick 20); the queries are measured at 1,
                           at 100 (where the daemon is also restarted) and at N
          --memory-pods N  pods of 3 containers the node memory workload makes (default 100, quick 10)
          --workloads LIST only these workloads (lifecycle,floor,crictl,burst,density,memory,image; default all)
          --iterations N   pod lifecycle iterations per runtime (default 20, quick 5)
          --runtimes LIST  which runtimes to run (default both: crishim,containerd)
          --crishim PATH   the CriShim binary (default out/crishim/crishim of this checkout)
          --out DIR        where latest.md, latest.png and latest.json go (default bench/results)
          --cni MODE       realistic (default): the chain `make run` installs (scripts/install-cni-default.sh:
                           bridge with ipMasq, portmap, firewall, tuning); minimal: a bare bridge, no iptables
          --crictl PATH    crictl for the crictl row group (default: crictl on PATH, then /opt/critools/crictl;
                           none found: that group reads "not measured")
          --settle S       wait up to S seconds (default 240) for the 1-minute load average to settle
          --max-load L     the highest 1-minute load average a run may start at (default 0.5 per core)
          --force          run and write the results even when the load stays above --max-load
          --micro          micro-benchmarks (BenchmarkDotNet) of the pod start hot paths instead
          --replot         redraw latest.png from latest.json (no run; add --quick if that run was quick)
          --help           this text

        Needs root. Starts a loopback registry, containerd and CriShim, each with its own socket, root, state,
        CNI network and cgroup parent under /var/lib/crishim-bench, and removes them again at the end (also on Ctrl-C).
        """;

    public static BenchOptions Parse(string[] args)
    {
        bool help = false, quick = false, micro = false, replot = false, force = false;
        int? iterations = null;
        var settle = 240;
        double? maxLoad = null;
        int? densityPods = null, memoryPods = null;
        IReadOnlyList<string>? workloads = null;
        var cni = CniMode.Realistic;
        IReadOnlyList<string> runtimes = ["crishim", "containerd"];
        string? binary = null, outDir = null, crictl = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--help" or "-h": help = true; break;
                case "--quick": quick = true; break;
                case "--micro": micro = true; break;
                case "--replot": replot = true; break;
                case "--force": force = true; break;
                case "--iterations": iterations = int.Parse(Value()); break;
                case "--settle": settle = int.Parse(Value()); break;
                case "--max-load": maxLoad = double.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--runtimes":
                    runtimes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (runtimes.Except(["crishim", "containerd"]).FirstOrDefault() is { } bad) throw new ArgumentException($"unknown runtime {bad}");
                    break;
                case "--cni":
                    cni = Value() switch
                    {
                        "realistic" => CniMode.Realistic,
                        "minimal" => CniMode.Minimal,
                        var other => throw new ArgumentException($"--cni is realistic or minimal, not {other}"),
                    };
                    break;
                case "--density-pods":
                    densityPods = int.Parse(Value());
                    if (densityPods < 1) throw new ArgumentException("--density-pods must be at least 1");
                    break;
                case "--memory-pods":
                    memoryPods = int.Parse(Value());
                    if (memoryPods < 1) throw new ArgumentException("--memory-pods must be at least 1");
                    break;
                case "--workloads":
                    workloads = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (workloads.Except(WorkloadKeys).FirstOrDefault() is { } unknown)
                        throw new ArgumentException($"unknown workload {unknown} (known: {string.Join(", ", WorkloadKeys)})");
                    break;
                case "--crishim": binary = Value(); break;
                case "--crictl": crictl = Value(); break;
                case "--out": outDir = Value(); break;
                default:
                    if (!micro) throw new ArgumentException($"unknown argument {args[i]}");
                    rest.Add(args[i]);
                    break;
            }
        }
        return new BenchOptions(help, quick, micro, replot, iterations, runtimes, binary, outDir, [.. rest])
        {
            Cni = cni, Crictl = crictl, Force = force, SettleSeconds = settle, MaxLoad = maxLoad,
            DensityPods = densityPods, MemoryPods = memoryPods, Workloads = workloads,
        };
    }
}
