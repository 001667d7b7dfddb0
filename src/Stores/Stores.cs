namespace CriShim.Stores;

/// <summary>Pod sandboxes under ROOT/pods, with their reserved names.</summary>
public sealed class PodStore(string dir, ILogger<PodStore> log) : RecordStore<PodRecord>(dir, JsonOptions.Compact, log, p => _ = p.ParsedConfig)
{
    public NameRegistry Names { get; } = new();
}

/// <summary>Containers under ROOT/containers, with their reserved names.</summary>
public sealed class ContainerStore(string dir, ILogger<ContainerStore> log) : RecordStore<ContainerRecord>(dir, JsonOptions.Compact, log, c => _ = c.ParsedConfig)
{
    public NameRegistry Names { get; } = new();

    public IEnumerable<ContainerRecord> InPod(string podId) => All.Where(c => c.PodId == podId);
}
