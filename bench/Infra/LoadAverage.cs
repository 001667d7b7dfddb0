using System.Globalization;

namespace CriShim.Bench.Infra;

/// <summary>What the load check decided before a run.</summary>
enum LoadVerdict { Quiet, Forced, Refused }

/// <summary>
/// The 1-minute load average, and the rule that keeps numbers from a busy machine out of latest.md: a run starts
/// only when the load is at most the limit (by default half a unit per core: 1.0 on 2 cores), after waiting for
/// it to settle (a build just before `make bench` leaves it high for a minute or two), or when forced.
/// </summary>
static class LoadAverage
{
    public static double OneMinute() => Parse(File.ReadAllText("/proc/loadavg"));

    /// <summary>The first field of /proc/loadavg ("0.42 0.37 0.30 1/234 5678").</summary>
    public static double Parse(string loadavg) => double.Parse(loadavg.Split(' ')[0], CultureInfo.InvariantCulture);

    public static double DefaultLimit(int cores) => 0.5 * cores;

    public static LoadVerdict Judge(double load, double limit, bool force) =>
        load <= limit ? LoadVerdict.Quiet : force ? LoadVerdict.Forced : LoadVerdict.Refused;

    /// <summary>Reads the load every few seconds until it is at most <paramref name="limit"/> or <paramref name="settle"/> has passed; the last reading.</summary>
    public static async Task<double> SettleAsync(double limit, TimeSpan settle, Func<double> read, Action<double, TimeSpan> waiting, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var load = read();
        while (load > limit && DateTime.UtcNow - started < settle)
        {
            waiting(load, DateTime.UtcNow - started);
            await Task.Delay(TimeSpan.FromSeconds(5), ct);
            load = read();
        }
        return load;
    }
}
