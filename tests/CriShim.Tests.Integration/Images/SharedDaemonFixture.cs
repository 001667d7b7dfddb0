using CriShim.Tests.Integration.Support;

namespace CriShim.Tests.Integration.Images;

/// <summary>A fixture whose tests share one daemon that mirrors docker.io to the shared test registry.</summary>
public abstract class SharedDaemonFixture
{
    protected TestRegistry Registry { get; private set; } = null!;
    protected DaemonProcess Daemon { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartSharedDaemon() => (Registry, Daemon) = await ImageTestSupport.StartDaemonAsync();

    [OneTimeTearDown]
    public async Task StopSharedDaemon() => await Daemon.DisposeAsync();

    /// <summary>NAME in the test registry.</summary>
    protected string Ref(string name) => $"{Registry.Host}/{name}";
}
