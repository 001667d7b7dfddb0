namespace CriShim.Oci.Cgroups;

/// <summary>Entering or leaving a network namespace failed for a reason other than the namespace being gone.</summary>
public sealed class NetworkNamespaceException(string message) : Exception(message);
