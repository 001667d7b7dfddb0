using System.Net;
using CriShim.Config;
using CriShim.Stores;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CriShim.Metrics;

/// <summary>Serves GET /metrics on its own TCP address when metrics.address is set.</summary>
public static class MetricsEndpoint
{
    public static void Listen(KestrelServerOptions kestrel, CriShimOptions options)
    {
        if (string.IsNullOrEmpty(options.Metrics.Address)) return;
        kestrel.Listen(IPEndPoint.Parse(options.Metrics.Address), l => l.Protocols = HttpProtocols.Http1);
    }

    public static void Map(WebApplication app, CriShimOptions options)
    {
        if (string.IsNullOrEmpty(options.Metrics.Address)) return;
        var port = IPEndPoint.Parse(options.Metrics.Address).Port;
        app.MapGet("/metrics", (HttpContext http, DaemonMetrics metrics, PodStore pods, ContainerStore containers) =>
        {
            if (port != 0 && http.Connection.LocalPort != port) return Results.NotFound();
            var gauges = new Dictionary<string, double>
            {
                ["crishim_pods"] = pods.All.Count(p => p.Complete),
                ["crishim_pods_ready"] = pods.All.Count(p => p.Complete && p.State == PodState.Ready),
                ["crishim_containers"] = containers.All.Count(c => c.Complete),
                ["crishim_containers_running"] = containers.All.Count(c => c.Complete && c.State == ContainerRunState.Running),
            };
            return Results.Text(metrics.Render(gauges), "text/plain; version=0.0.4");
        });
    }
}
