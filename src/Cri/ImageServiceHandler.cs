using Runtime.V1;

namespace CriShim.Cri;

/// <summary>The CRI ImageService: pull, list, status, remove, filesystem info. One file per RPC group (Image*.cs).</summary>
public sealed partial class ImageServiceHandler(IServiceProvider services, ILogger<ImageServiceHandler> log) : ImageService.ImageServiceBase
{
}
