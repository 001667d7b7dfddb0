using CriShim.Config;

namespace CriShim.Images;

/// <summary>Where the image store lives under --root; all on one filesystem so renames are atomic.</summary>
public sealed record ImagePaths(string Base)
{
    public ImagePaths(CriShimOptions options) : this(Path.Combine(Path.GetFullPath(options.Root), "images")) { }

    public string Blobs => Path.Combine(Base, "blobs");
    /// <summary>Unpacked layers, one directory per diff ID, each ready to be an overlay lowerdir.</summary>
    public string Layers => Path.Combine(Base, "layers");
    /// <summary>Image records, one JSON file per image ID.</summary>
    public string Records => Path.Combine(Base, "records");
    /// <summary>Downloads and unpacks in progress; emptied at start-up (what is here is from a killed daemon).</summary>
    public string Temp => Path.Combine(Base, "tmp");
}
