using CriShim.Images;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

public sealed partial class ImageServiceHandler
{
    public override Task<ListImagesResponse> ListImages(ListImagesRequest request, ServerCallContext context)
    {
        var response = new ListImagesResponse();
        response.Images.AddRange(Select(request.Filter).Select(ToCri));
        return Task.FromResult(response);
    }

    public override async Task StreamImages(StreamImagesRequest request, IServerStreamWriter<StreamImagesResponse> responseStream, ServerCallContext context)
    {
        foreach (var chunk in Select(request.Filter).Select(ToCri).Chunk(100))
        {
            var response = new StreamImagesResponse();
            response.Images.AddRange(chunk);
            await responseStream.WriteAsync(response, context.CancellationToken);
        }
    }

    IEnumerable<ImageRecord> Select(ImageFilter? filter)
    {
        var wanted = filter?.Image?.Image;
        if (string.IsNullOrWhiteSpace(wanted)) return store.List();
        return store.Resolve(wanted) is { } image ? [image] : [];
    }
}
