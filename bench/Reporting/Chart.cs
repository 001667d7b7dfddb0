using CriShim.Bench.Workloads;
using ScottPlot;

namespace CriShim.Bench.Reporting;

/// <summary>A bar chart of p50 latency per CRI operation, CriShim beside containerd (image pulls, in seconds, stay in the table).</summary>
static class Chart
{
    public static void Save(Measurements m, BenchSettings settings, string path)
    {
        var n = settings.DensityPods;
        var ops = LifecycleWorkload.Operations
            .Select(op => (Label: op, Metric: op))
            .Concat(DensityWorkload.Queries.Select(q => (Label: $"{q} @{n} pods", Metric: DensityWorkload.At(q, n))))
            .ToList();
        var series = new[] { ("crishim", "CriShim", Colors.C0), ("containerd", "containerd", Colors.C1) };

        var plot = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (var i = 0; i < ops.Count; i++)
        {
            for (var s = 0; s < series.Length; s++)
            {
                var (key, _, color) = series[s];
                if (m.P(key, ops[i].Metric, 50) is not { } v) continue;
                bars.Add(new Bar { Position = i * 3 + s, Value = v, FillColor = color, Label = v.ToString(v >= 100 ? "0" : "0.0") });
            }
            ticks.Add(new Tick(i * 3 + 0.5, ops[i].Label));
        }
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 9;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 35;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0, top: 0.2); // headroom for the legend and value labels
        plot.YLabel("p50 latency (ms)");
        plot.Title($"CRI latency per operation, p50 ({(settings.Quick ? "quick run" : "full run")})");
        foreach (var (_, label, color) in series)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = label, FillColor = color });
        plot.ShowLegend(Alignment.UpperCenter);
        plot.Layout.Fixed(new PixelPadding(70, 110, 150, 40));
        plot.SavePng(path, 1400, 700);
    }
}
