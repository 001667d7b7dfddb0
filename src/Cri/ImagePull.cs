using CriShim.Images;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

public sealed partial class ImageServiceHandler
{
    public override async Task<PullImageResponse> PullImage(PullImageRequest request, ServerCallContext context)
    {
        var reference = RequireImage(request.Image);
        try
        {
            var auth = request.Auth;
            var credentials = auth is null ? null
                : RegistryCredentials.From(auth.Username, auth.Password, auth.Auth, auth.IdentityToken, auth.RegistryToken);
            var image = await puller.PullAsync(reference, credentials, context.CancellationToken);
            return new PullImageResponse { ImageRef = image.Id };
        }
        catch (ImageException e)
        {
            log.LogWarning("pull of {Image} failed: {Error}", reference, e.Message);
            throw ToCri(e);
        }
    }
}
