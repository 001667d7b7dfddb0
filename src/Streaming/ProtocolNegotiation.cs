namespace CriShim.Streaming;

/// <summary>
/// Picks a subprotocol the way the kubelet does: the client's first preference the server supports.
/// Header values may be repeated or comma-separated. No offer at all selects "" (the legacy protocol);
/// offers without a match select null (refused).
/// </summary>
public static class ProtocolNegotiation
{
    public static string? Select(IEnumerable<string?> offered, IReadOnlyCollection<string> supported)
    {
        var offers = offered.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (offers.Count == 0) return "";
        return offers.FirstOrDefault(supported.Contains);
    }
}
