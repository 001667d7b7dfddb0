using System.Diagnostics;
using System.Runtime.InteropServices;
using CriShim.Oci.Specs;
using CriShim.Oci.Runc;
using Microsoft.Extensions.Logging;
using CriShim.Oci.Native;

namespace CriShim.Oci.Network;

public sealed partial class NamespacePins
{
    public string NsenterBinary { get; init; } = "nsenter";

    /// <summary>
    /// A user namespace owning the pod's network, IPC and UTS namespaces (so sysctls and mounts inside count as the
    /// pod's own). A holder, `unshare --user --net --ipc --uts`, waits on its stdin while the daemon pins its
    /// namespaces and writes its ID maps (util-linux 2.38 would need newuidmap for that, and cannot pin a user
    /// namespace itself); the setup then runs as the namespace's root through `nsenter` (the holder, exec'd while
    /// still unmapped, has no capabilities in its namespace).
    /// </summary>
    async Task<PodNamespaces> CreateInUserNamespaceAsync(string podId, UserNamespaceMappings mappings, PodNamespaces result, List<string> setup, CancellationToken ct)
    {
        var pins = new[] { ("user", result.UserNs), ("net", result.NetNs), ("ipc", result.IpcNs), ("uts", result.UtsNs) }
            .Where(p => p.Item2 is not null).Select(p => (Kind: p.Item1, File: p.Item2!)).ToList();
        try
        {
            await PinFromHolderAsync(podId, mappings, pins, ct);
            var args = pins.Select(p => $"--{p.Kind}={p.File}").Append("--").Concat(setup).ToList();
            var r = await CommandRunner.RunAsync(new CommandSpec(NsenterBinary, args) { Timeout = Timeout }, ct);
            if (r.ExitCode != 0)
                throw new InvalidOperationException($"setting up the namespaces of pod {podId} failed: {r.StderrText.Trim()}");
        }
        catch
        {
            await RemoveAsync(podId, CancellationToken.None);
            throw;
        }
        _log.LogDebug("pinned namespaces of pod {PodId} in its own user namespace", podId);
        return result;
    }

    async Task PinFromHolderAsync(string podId, UserNamespaceMappings mappings, List<(string Kind, string File)> pins, CancellationToken ct)
    {
        var start = new ProcessStartInfo(UnshareBinary)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var (kind, _) in pins) start.ArgumentList.Add($"--{kind}");
        foreach (var a in new[] { "--", "/bin/sh", "-c", "echo ready; read _" }) start.ArgumentList.Add(a);
        using var holder = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {UnshareBinary}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            var ready = await holder.StandardOutput.ReadLineAsync(timeout.Token);
            if (ready != "ready")
                throw new InvalidOperationException($"creating the user namespace of pod {podId} failed: {(await holder.StandardError.ReadToEndAsync(timeout.Token)).Trim()}");
            foreach (var (kind, file) in pins)
            {
                if (IsMountPoint(file)) throw new InvalidOperationException($"namespace {file} already exists");
                await File.WriteAllBytesAsync(file, [], ct);
                if (LibC.mount($"/proc/{holder.Id}/ns/{kind}", file, "", LibC.MS_BIND, null) != 0)
                    throw new IOException($"pinning the {kind} namespace of pod {podId}: {LibC.Describe(Marshal.GetLastPInvokeError())}");
            }
            WriteMap($"/proc/{holder.Id}/uid_map", IdMaps.ProcMap(mappings.Uids));
            WriteMap($"/proc/{holder.Id}/gid_map", IdMaps.ProcMap(mappings.Gids));
            holder.StandardInput.Close();
            await holder.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!holder.HasExited) holder.Kill();
        }
    }

    /// <summary>The kernel takes a map in one write(2), once.</summary>
    static void WriteMap(string path, string map)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        file.Write(System.Text.Encoding.ASCII.GetBytes(map));
    }
}
