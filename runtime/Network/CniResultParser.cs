using System.Net;
using System.Text.Json.Nodes;

namespace CriShim.Oci.Network;

/// <summary>Reads CNI results of any version: "ips" (0.3.0 and later) or "ip4"/"ip6" (0.1/0.2).</summary>
public static class CniResultParser
{
    public static CniResult Parse(string json)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("CNI result is not a JSON object");
        var version = (string?)root["cniVersion"] ?? "0.2.0";
        var interfaces = (root["interfaces"] as JsonArray)?.Select(i => (string?)i?["name"]).ToList() ?? [];
        var ips = new List<CniIp>();
        if (root["ips"] is JsonArray arr)
        {
            foreach (var ip in arr.OfType<JsonObject>())
            {
                if (!TryParseCidr((string?)ip["address"], out var addr, out var prefix)) continue;
                string? iface = null;
                if (ip["interface"] is JsonValue iv && iv.TryGetValue<int>(out var idx) && idx >= 0 && idx < interfaces.Count)
                    iface = interfaces[idx];
                ips.Add(new CniIp(addr, prefix, ParseIp((string?)ip["gateway"]), iface));
            }
        }
        foreach (var key in new[] { "ip4", "ip6" })
        {
            if (root[key] is JsonObject o && TryParseCidr((string?)o["ip"], out var addr, out var prefix))
                ips.Add(new CniIp(addr, prefix, ParseIp((string?)o["gateway"]), null));
        }
        return new CniResult(version, ips, root.ToJsonString());
    }

    private static bool TryParseCidr(string? cidr, out IPAddress address, out int prefix)
    {
        address = IPAddress.None;
        prefix = 0;
        if (string.IsNullOrEmpty(cidr)) return false;
        var slash = cidr.IndexOf('/');
        var ipPart = slash < 0 ? cidr : cidr[..slash];
        if (!IPAddress.TryParse(ipPart, out var a)) return false;
        address = a;
        prefix = slash < 0 ? (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
            : int.TryParse(cidr[(slash + 1)..], out var p) ? p : 0;
        return true;
    }

    private static IPAddress? ParseIp(string? s) => s is not null && IPAddress.TryParse(s, out var a) ? a : null;
}
