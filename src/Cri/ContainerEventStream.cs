using CriShim.Events;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>GetContainerEvents: the stream kubelet's evented PLEG reads.</summary>
public sealed partial class ContainerEventRpcs(ContainerEventHub hub)
{
    public async Task GetContainerEvents(GetEventsRequest request, IServerStreamWriter<ContainerEventResponse> responseStream, ServerCallContext context)
    {
        try
        {
            await foreach (var e in hub.SubscribeAsync(context.CancellationToken))
                await responseStream.WriteAsync(e, context.CancellationToken);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested) { }
    }
}
