namespace CriShim.Oci.Cgroups;

/// <summary>What <see cref="CgroupUpdater.Apply"/> wrote and what it could not apply on this host.</summary>
/// <param name="Applied">Written settings as "file=value" with the file's full path.</param>
/// <param name="Skipped">Requested settings the host cannot take (controller or file absent), with the reason.</param>
public sealed record CgroupUpdateResult(IReadOnlyList<string> Applied, IReadOnlyList<string> Skipped);
