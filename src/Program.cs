using CriShim;
using CriShim.Config;
using CriShim.Containers;

CriShim.Host.RuntimeTuning.ReexecIfNeeded();
var options = ConfigLoader.Load(args);
WebApplication app;
try { app = DaemonHost.Build(options, args); }
catch (CriShim.Host.InstanceLockedException e)
{
    Console.Error.WriteLine($"crishim: {e.Message}");
    return 1;
}
// Reconcile pods and containers with what happened while the daemon was down, before the socket serves.
await app.Services.GetRequiredService<Supervisor>().RecoverAsync(CancellationToken.None);
await app.RunAsync();
return 0;
