using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace CriShim.Host;

/// <summary>
/// One daemon per root and state directory: an exclusive flock(2) on <c>crishim.lock</c> in each, held for the
/// process' life (the kernel drops it when the process dies, even on kill -9, so a crash never leaves a stale lock).
/// A second daemon is refused before it touches anything, the socket of the live one included.
/// </summary>
public sealed class InstanceLock : IDisposable
{
    const string FileName = "crishim.lock";
    const int LOCK_EX = 2, LOCK_NB = 4;
    readonly List<SafeFileHandle> _held;

    InstanceLock(List<SafeFileHandle> held) => _held = held;

    [DllImport("libc", SetLastError = true)]
    static extern int flock(SafeFileHandle fd, int operation);

    /// <summary>Locks every directory (created if missing) or throws <see cref="InstanceLockedException"/> naming the holder.</summary>
    public static InstanceLock Acquire(IEnumerable<string> dirs)
    {
        var held = new List<SafeFileHandle>();
        try
        {
            foreach (var dir in dirs.Select(d => Path.GetFullPath(d).TrimEnd('/')).Distinct(StringComparer.Ordinal))
            {
                Directory.CreateDirectory(dir);
                held.Add(LockOne(Path.Combine(dir, FileName), dir));
            }
            return new InstanceLock(held);
        }
        catch
        {
            foreach (var h in held) h.Dispose();
            throw;
        }
    }

    static SafeFileHandle LockOne(string path, string dir)
    {
        SafeFileHandle handle;
        // .NET itself may flock the file on open and report a conflict as an IOException: the same answer.
        try { handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite); }
        catch (IOException) { throw Locked(path, dir); }
        if (flock(handle, LOCK_EX | LOCK_NB) != 0)
        {
            handle.Dispose();
            throw Locked(path, dir);
        }
        var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        RandomAccess.SetLength(handle, 0);
        RandomAccess.Write(handle, pid, 0);
        return handle;
    }

    static InstanceLockedException Locked(string path, string dir)
    {
        string holder;
        try
        {
            // Through Mono.Unix: a .NET FileStream asks for a shared flock on open, which the holder's lock refuses.
            using var reader = new StreamReader(new Mono.Unix.UnixFileInfo(path).OpenRead());
            holder = reader.ReadToEnd().Trim();
        }
        catch (Exception e) when (e is IOException or Mono.Unix.UnixIOException) { holder = ""; }
        var who = holder.Length > 0 ? $"(pid {holder}) " : "";
        return new InstanceLockedException(
            $"another crishim {who}is already running on {dir} (it holds {path}); refusing to start a second daemon on the same root/state");
    }

    public void Dispose()
    {
        foreach (var h in _held) h.Dispose();
    }
}

/// <summary>Another daemon runs on the same root or state directory.</summary>
public sealed class InstanceLockedException(string message) : Exception(message);
