using System.Collections;
using System.Runtime.InteropServices;
using CriShim.Oci.Native;
using CriShim.Oci.Runc;

namespace CriShim.Oci.Monitor;

/// <summary>conmon for a synchronous exec, started by posix_spawn(3) with its descriptors placed by file actions
/// (fd 3 the sync pipe, stdin and stdout /dev/null, stderr a file), no /bin/sh in between (~3 ms an exec). Signal
/// dispositions and the mask are reset as Process.Start does (the daemon ignores SIGPIPE). The daemon reaps it
/// (.NET reaps only the children it started itself).</summary>
internal sealed class SpawnedConmon : IDisposable
{
    private readonly SyncPipe _sync;
    private readonly int _pid;
    private readonly Lock _gate = new();
    private bool _exited;

    private SpawnedConmon(int pid, SyncPipe sync)
    {
        _pid = pid;
        _sync = sync;
    }

    public static SpawnedConmon Start(string conmon, IReadOnlyList<string> args, string workingDirectory, string stderrFile)
    {
        var sync = new SyncPipe();
        var native = new List<IntPtr>();
        var actions = Marshal.AllocHGlobal(LibC.SpawnStructBytes);
        var attr = Marshal.AllocHGlobal(LibC.SpawnStructBytes);
        var sigset = Marshal.AllocHGlobal(LibC.SpawnStructBytes);
        try
        {
            Check(LibC.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            Check(LibC.posix_spawnattr_init(attr), "posix_spawnattr_init");
            try
            {
                Check(LibC.posix_spawn_file_actions_addopen(actions, 0, "/dev/null", LibC.O_RDONLY, 0), "addopen stdin");
                Check(LibC.posix_spawn_file_actions_addopen(actions, 1, "/dev/null", LibC.O_WRONLY, 0), "addopen stdout");
                Check(LibC.posix_spawn_file_actions_addopen(actions, 2, stderrFile, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC, 0x1a4), "addopen stderr");
                Check(LibC.posix_spawn_file_actions_addopen(actions, 3, sync.WriterPath, LibC.O_WRONLY, 0), "addopen sync pipe");
                Check(LibC.posix_spawn_file_actions_addchdir_np(actions, workingDirectory), "addchdir");
                Check(LibC.sigfillset(sigset), "sigfillset");
                Check(LibC.posix_spawnattr_setsigdefault(attr, sigset), "setsigdefault");
                Check(LibC.sigemptyset(sigset), "sigemptyset");
                Check(LibC.posix_spawnattr_setsigmask(attr, sigset), "setsigmask");
                Check(LibC.posix_spawnattr_setflags(attr, LibC.POSIX_SPAWN_SETSIGDEF | LibC.POSIX_SPAWN_SETSIGMASK), "setflags");

                var argv = Strings([conmon, .. args], native);
                var env = new List<string>();
                foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
                    if ((string)e.Key != "_OCI_SYNCPIPE") env.Add($"{e.Key}={e.Value}");
                env.Add("_OCI_SYNCPIPE=3");
                var envp = Strings(env, native);
                var rc = LibC.posix_spawn(out var pid, conmon, actions, attr, argv, envp);
                if (rc != 0) throw new IOException($"starting {conmon}: {LibC.Describe(rc)}");
                return new SpawnedConmon(pid, sync);
            }
            finally
            {
                LibC.posix_spawn_file_actions_destroy(actions);
                LibC.posix_spawnattr_destroy(attr);
            }
        }
        catch
        {
            sync.Dispose();
            throw;
        }
        finally
        {
            foreach (var p in native) Marshal.FreeCoTaskMem(p);
            Marshal.FreeHGlobal(actions);
            Marshal.FreeHGlobal(attr);
            Marshal.FreeHGlobal(sigset);
        }
    }

    private static IntPtr[] Strings(IReadOnlyList<string> items, List<IntPtr> native)
    {
        var array = new IntPtr[items.Count + 1];
        for (var i = 0; i < items.Count; i++)
        {
            array[i] = Marshal.StringToCoTaskMemUTF8(items[i]);
            native.Add(array[i]);
        }
        return array;
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new IOException($"{what}: {LibC.Describe(rc)}");
    }

    /// <summary>True once conmon exited (and was reaped here).</summary>
    public bool HasExited
    {
        get
        {
            lock (_gate)
            {
                if (!_exited && LibC.waitpid(_pid, out _, LibC.WNOHANG) != 0) _exited = true; // pid = reaped, -1 = gone
                return _exited;
            }
        }
    }

    public void Kill()
    {
        lock (_gate)
        {
            if (!_exited) LibC.kill(_pid, Signals.SIGKILL); // a zombie keeps its pid until reaped here: never another's
        }
    }

    /// <summary>Waits for conmon to exit and reaps it.</summary>
    public Task WaitForExitAsync() => HasExited ? Task.CompletedTask : Task.Factory.StartNew(() =>
    {
        lock (_gate)
        {
            if (_exited) return;
            while (LibC.waitpid(_pid, out _, 0) < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR) { }
            _exited = true;
        }
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>The next sync message, or null when conmon exited without sending one.</summary>
    public Task<string?> ReadMessageAsync(CancellationToken ct) => _sync.ReadLineAsync(() => HasExited, ct);

    public void Dispose() => _sync.Dispose();
}
