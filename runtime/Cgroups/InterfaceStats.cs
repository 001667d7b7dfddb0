namespace CriShim.Oci.Cgroups;

/// <summary>Cumulative counters of one network interface, as /proc/net/dev reports them.</summary>
public sealed record InterfaceStats(
    string Name,
    ulong RxBytes,
    ulong RxPackets,
    ulong RxErrors,
    ulong RxDropped,
    ulong TxBytes,
    ulong TxPackets,
    ulong TxErrors,
    ulong TxDropped);
