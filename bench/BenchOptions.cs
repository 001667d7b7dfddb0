namespace CriShim.Bench;

/// <summary>Command line of crishim-bench.</summary>
sealed record BenchOptions(bool Help, bool Quick, bool Micro, bool Replot, int? Iterations, IReadOnlyList<string> Runtimes, string? CriShimBinary, string? OutDir, string[] Rest)
{
    public const string Usage = """
        crishim-bench: CriShim against containerd's CRI plugin, side by side, over CRI gRPC.

        usage: crishim-bench [--quick] [--iterations N] [--runtimes crishim,containerd] [--crishim PATH] [--out DIR]
               crishim-bench --micro [BenchmarkDotNet arguments, e.g. --filter *Atomic*]

          --quick          smoke run of about a minute: few iterations, burst of 10, 20 pods for density
          --iterations N   pod lifecycle iterations per runtime (default 20, quick 5)
          --runtimes LIST  which runtimes to run (default both: crishim,containerd)
          --crishim PATH   the CriShim binary (default out/crishim/crishim of this checkout)
          --out DIR        where latest.md, latest.png and latest.json go (default bench/results)
          --micro          micro-benchmarks (BenchmarkDotNet) of the pod start hot paths instead
          --replot         redraw latest.png from latest.json (no run; add --quick if that run was quick)
          --help           this text

        Needs root. Starts a loopback registry, containerd and CriShim, each with its own socket, root, state,
        CNI network and cgroup parent under /var/lib/crishim-bench, and removes them again at the end (also on Ctrl-C).
        """;

    public static BenchOptions Parse(string[] args)
    {
        bool help = false, quick = false, micro = false, replot = false;
        int? iterations = null;
        IReadOnlyList<string> runtimes = ["crishim", "containerd"];
        string? binary = null, outDir = null;
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
                case "--iterations": iterations = int.Parse(Value()); break;
                case "--runtimes":
                    runtimes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (runtimes.Except(["crishim", "containerd"]).FirstOrDefault() is { } bad) throw new ArgumentException($"unknown runtime {bad}");
                    break;
                case "--crishim": binary = Value(); break;
                case "--out": outDir = Value(); break;
                default:
                    if (!micro) throw new ArgumentException($"unknown argument {args[i]}");
                    rest.Add(args[i]);
                    break;
            }
        }
        return new BenchOptions(help, quick, micro, replot, iterations, runtimes, binary, outDir, [.. rest]);
    }
}
