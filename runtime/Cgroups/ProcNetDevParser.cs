using System.Globalization;

namespace CriShim.Oci.Cgroups;

/// <summary>Parses /proc/net/dev: two header lines, then "name: 8 receive counters 8 transmit counters".</summary>
public static class ProcNetDevParser
{
    public static IReadOnlyList<InterfaceStats> Parse(string text)
    {
        var interfaces = new List<InterfaceStats>();
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon < 0)
                continue;
            var name = line[..colon].Trim();
            var fields = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (name.Length == 0 || fields.Length < 16)
                continue;
            var values = new ulong[16];
            var valid = true;
            for (var i = 0; i < 16 && valid; i++)
                valid = ulong.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]);
            if (!valid)
                continue;
            // Receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets errs drop fifo colls carrier compressed.
            interfaces.Add(new InterfaceStats(name,
                RxBytes: values[0], RxPackets: values[1], RxErrors: values[2], RxDropped: values[3],
                TxBytes: values[8], TxPackets: values[9], TxErrors: values[10], TxDropped: values[11]));
        }
        return interfaces;
    }
}
