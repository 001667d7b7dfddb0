namespace CriShim.Tests.Integration;

/// <summary>Run-wide teardown (no namespace below the root, so it wraps every integration test): stops shared helpers.</summary>
[SetUpFixture]
public sealed class TestRunHooks
{
    [OneTimeTearDown]
    public async Task StopSharedHelpers() => await Support.TestRegistry.StopSharedAsync();
}
