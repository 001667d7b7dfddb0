using Runtime.V1;
using CriShim.Config;
using CriShim.Stores;

namespace CriShim.Cri;

/// <summary>
/// The CRI RuntimeService. Split by RPC group over several files (Runtime*.cs, PodSandbox*.cs, Container*.cs);
/// each handler validates, looks up a store, calls the runtime, updates the store and answers.
/// RPCs not overridden answer Unimplemented (named by <see cref="ErrorInterceptor"/>).
/// </summary>
public sealed partial class RuntimeServiceHandler(CriShimOptions options, RuntimeState runtimeState, IServiceProvider services, ILogger<RuntimeServiceHandler> log)
    : RuntimeService.RuntimeServiceBase
{
    PodStore Pods => services.GetRequiredService<PodStore>();
    ContainerStore Containers => services.GetRequiredService<ContainerStore>();
    LifecycleLocks Locks => services.GetRequiredService<LifecycleLocks>();
    ListItemCache ListItems => services.GetRequiredService<ListItemCache>();
}
