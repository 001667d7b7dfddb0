using CriShim.Images;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

public sealed partial class ImageServiceHandler
{
    public override Task<ImageFsInfoResponse> ImageFsInfo(ImageFsInfoRequest request, ServerCallContext context)
    {
        var (bytes, inodes) = store.Usage();
        var response = new ImageFsInfoResponse();
        response.ImageFilesystems.Add(new FilesystemUsage
        {
            Timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000,
            FsId = new FilesystemIdentifier { Mountpoint = store.Paths.Base },
            UsedBytes = new UInt64Value { Value = bytes },
            InodesUsed = new UInt64Value { Value = inodes },
        });
        return Task.FromResult(response);
    }
}
