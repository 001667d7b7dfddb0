using CriShim.Oci.Runc;

namespace CriShim.Tests.Integration.Runc;

/// <summary>`runc create` for tests that drive runc without conmon (the daemon only creates through conmon).</summary>
internal static class RuncCreate
{
    public static async Task CreateAsync(this RuncClient runc, string id, string bundle)
    {
        // The container's init inherits runc's stdio: stop reading it right after runc exits.
        var r = await CommandRunner.RunAsync(new CommandSpec(runc.Binary, [.. runc.GlobalArgs, "create", "--bundle", bundle, id])
        {
            Timeout = TimeSpan.FromSeconds(60),
            DrainAfterExit = TimeSpan.FromMilliseconds(50),
        });
        if (r.ExitCode != 0) throw new RuncException("create", r.ExitCode, r.StderrText);
    }
}
