using CriShim.Config;

namespace CriShim.Images;

/// <summary>How much one layer may unpack to (images.maxLayerBytes, images.maxLayerEntries): a layer bomb stops at the
/// first byte or entry over either, and leaves nothing.</summary>
public sealed record LayerLimits(long MaxBytes, long MaxEntries)
{
    public static LayerLimits Default { get; } = From(new ImageOptions());

    public static LayerLimits From(ImageOptions options) => new(options.MaxLayerBytes, options.MaxLayerEntries);
}
