using CriShim.Images;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>The CRI ImageService: pull, list, status, remove, filesystem info. One file per RPC group (Image*.cs).</summary>
public sealed partial class ImageServiceHandler(ImageStore store, ImagePuller puller, ILogger<ImageServiceHandler> log) : ImageService.ImageServiceBase
{
    /// <summary>The image subsystem's failure kinds as gRPC statuses.</summary>
    static CriException ToCri(ImageException e) => new(e.Kind switch
    {
        // a hostile or over-size image is bad input, like a malformed reference
        ImageErrorKind.Invalid or ImageErrorKind.Unsafe or ImageErrorKind.TooLarge => StatusCode.InvalidArgument,
        ImageErrorKind.NotFound => StatusCode.NotFound,
        ImageErrorKind.Unauthorized => StatusCode.Unauthenticated,
        ImageErrorKind.Unavailable => StatusCode.Unavailable,
        ImageErrorKind.Corrupt => StatusCode.DataLoss,
        ImageErrorKind.Unsupported or ImageErrorKind.InUse => StatusCode.FailedPrecondition,
        _ => StatusCode.Unknown,
    }, e.Message, e);

    static string RequireImage(ImageSpec? spec)
    {
        var image = spec?.Image?.Trim();
        if (string.IsNullOrEmpty(image)) throw CriException.Invalid("image reference is empty");
        return image;
    }

    static Image ToCri(ImageRecord record)
    {
        var image = new Image
        {
            Id = record.Id,
            Size = (ulong)Math.Max(1, record.Size),
            Username = record.Config.Username,
            Spec = new ImageSpec { Image = record.Id },
        };
        image.RepoTags.AddRange(record.RepoTags);
        image.RepoDigests.AddRange(record.RepoDigests);
        if (record.Config.Uid is { } uid) image.Uid = new Int64Value { Value = uid };
        return image;
    }
}
