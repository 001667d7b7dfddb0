using CriShim;
using CriShim.Config;
using CriShim.Containers;

CriShim.Host.RuntimeTuning.ReexecIfNeeded();
var options = ConfigLoader.Load(args);
var app = DaemonHost.Build(options, args);
// Reconcile pods and containers with what happened while the daemon was down, before the socket serves.
await app.Services.GetRequiredService<Supervisor>().RecoverAsync(CancellationToken.None);
await app.RunAsync();
