using CriShim;
using CriShim.Config;

var options = ConfigLoader.Load(args);
var app = DaemonHost.Build(options, args);
await app.RunAsync();
