namespace CriShim.Oci.Specs;

/// <summary>The container request cannot be turned into a valid spec (bad path, unknown capability, missing profile...).
/// Callers answer it as InvalidArgument.</summary>
public sealed class SpecException(string message, Exception? inner = null) : ArgumentException(message, inner);
