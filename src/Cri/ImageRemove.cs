using CriShim.Images;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

public sealed partial class ImageServiceHandler
{
    /// <summary>Removes the image with all its names; an image that is not there is success (the RPC is idempotent).</summary>
    public override async Task<RemoveImageResponse> RemoveImage(RemoveImageRequest request, ServerCallContext context)
    {
        var reference = RequireImage(request.Image);
        await store.RemoveAsync(reference, context.CancellationToken);
        return new RemoveImageResponse();
    }
}
