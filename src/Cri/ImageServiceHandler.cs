using CriShim.Errors;
using CriShim.Images;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>The CRI ImageService: pull, list, status, remove, filesystem info. One file per RPC group (Image*.cs).</summary>
public sealed partial class ImageServiceHandler(ImageStore store, ImagePuller puller, ILogger<ImageServiceHandler> log) : ImageService.ImageServiceBase
{
    static string RequireImage(ImageSpec? spec)
    {
        var image = spec?.Image?.Trim();
        if (string.IsNullOrEmpty(image)) throw DomainException.Invalid("image reference is empty");
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
