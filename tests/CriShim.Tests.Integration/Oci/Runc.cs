using System.Diagnostics;

namespace CriShim.Tests.Integration.Oci;

/// <summary>Runs bundles with the real runc under a private state root.</summary>
internal sealed class Runc(string stateRoot)
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    /// <summary>`runc run --bundle DIR ID` in the foreground; the container is deleted afterwards either way.</summary>
    public async Task<Result> RunAsync(string bundle, string id, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ExecAsync(cancellationToken, "run", "--bundle", bundle, id);
        }
        finally
        {
            await ExecAsync(CancellationToken.None, "delete", "--force", id);
        }
    }

    private async Task<Result> ExecAsync(CancellationToken cancellationToken, params string[] args)
    {
        var psi = new ProcessStartInfo("runc")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(stateRoot);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }
}
