using CriShim.Bench.Infra;

namespace CriShim.Bench.Reporting;

/// <summary>How a run was set up and what state the machine was in around it, as the report states them.</summary>
sealed record RunConditions(CniMode Cni, string CniChain, double LoadBefore, double LoadLimit, LoadVerdict Verdict, string? CrictlVersion, string CrictlSearched)
{
    public double? LoadAfter { get; init; }
}
