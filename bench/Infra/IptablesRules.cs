namespace CriShim.Bench.Infra;

/// <summary>
/// iptables rules the CNI plugins (bridge ipMasq, firewall, portmap) made for one network. CNI DEL removes them
/// pod by pod; these are what an interrupted run leaves, found and removed by the network's name and subnet.
/// </summary>
static class IptablesRules
{
    /// <summary>Chains the plugins share with every network (and with `make run`'s): never removed.</summary>
    static readonly HashSet<string> SharedChains =
        ["CNI-FORWARD", "CNI-ADMIN", "CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-MASQ", "POSTROUTING", "PREROUTING", "OUTPUT", "INPUT", "FORWARD"];

    /// <summary>"table: -A CHAIN ..." for every rule of the network; empty without iptables.</summary>
    public static async Task<List<string>> OfAsync(CniNetwork network) =>
        [.. Owned(await SaveAsync(), network).Select(r => $"{r.Table}: {r.Rule}")];

    public static async Task RemoveAsync(CniNetwork network)
    {
        var owned = Owned(await SaveAsync(), network);
        if (owned.Count == 0) return;
        foreach (var table in owned.GroupBy(r => r.Table))
        {
            var chains = table.Select(r => r.Rule.Split(' ')[1]).Where(c => c.StartsWith("CNI-", StringComparison.Ordinal) && !SharedChains.Contains(c)).ToHashSet();
            // rules that jump to a chain we remove go first, then the chains' own rules, then the chains
            var script = $"*{table.Key}\n" +
                string.Concat(table.OrderBy(r => chains.Contains(r.Rule.Split(' ')[1]) ? 1 : 0).Select(r => "-D" + r.Rule[2..] + "\n")) +
                string.Concat(chains.Select(c => $"-F {c}\n-X {c}\n")) + "COMMIT\n";
            var result = await Shell.RunAsync("iptables-restore", ["--noflush"], stdin: script);
            if (result.ExitCode != 0) Console.Error.WriteLine($"{network.Name}: removing iptables rules from {table.Key} failed: {result.StdErr.Trim()}");
        }
    }

    /// <summary>The rules in `iptables-save` output that belong to the network, with their table.</summary>
    public static List<(string Table, string Rule)> Owned(string saved, CniNetwork network)
    {
        var found = new List<(string, string)>();
        var table = "";
        foreach (var line in saved.Split('\n'))
        {
            if (line.StartsWith('*')) table = line[1..].Trim();
            else if (line.StartsWith("-A ", StringComparison.Ordinal) && network.Owns(line)) found.Add((table, line.TrimEnd()));
        }
        return found;
    }

    static async Task<string> SaveAsync()
    {
        try
        {
            var r = await Shell.RunAsync("iptables-save", []);
            return r.ExitCode == 0 ? r.StdOut : "";
        }
        catch (System.ComponentModel.Win32Exception) { return ""; } // no iptables on this machine
    }
}
