using CriShim.Errors;
using CriShim.Images;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

public sealed partial class ImageServiceHandler
{
    public override async Task<PullImageResponse> PullImage(PullImageRequest request, ServerCallContext context)
    {
        var reference = RequireImage(request.Image);
        if (ImageReference.LooksLikeImageId(reference))
        {
            // An ID names content we have, not something a registry can serve: "pulling" it is a lookup.
            return store.Resolve(reference) is { } present
                ? new PullImageResponse { ImageRef = present.Id }
                : throw DomainException.Invalid($"cannot pull by image ID \"{reference}\": pull a reference (name:tag or name@digest)");
        }
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
            throw;
        }
    }
}
