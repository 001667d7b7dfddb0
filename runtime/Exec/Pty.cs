using System.Text;
using Microsoft.Win32.SafeHandles;

namespace CriShim.Runtime.Exec;

/// <summary>
/// A pseudo-terminal pair opened in the daemon: we keep the master, a child opens the slave by path. We also hold
/// one slave descriptor until the child is done, so reading the master cannot hit "no slave" (EIO) before the
/// child opened it; once that is released, EIO after the last buffered byte is the end of output.
/// </summary>
sealed class Pty : IDisposable
{
    Pty(SafeFileHandle master, string slavePath, SafeFileHandle slave)
    {
        Master = master;
        SlavePath = slavePath;
        _slave = slave;
    }

    readonly SafeFileHandle _slave;

    public SafeFileHandle Master { get; }
    public string SlavePath { get; }

    public static Pty Open()
    {
        var master = ExecNative.posix_openpt(ExecNative.O_RDWR | ExecNative.O_NOCTTY | ExecNative.O_CLOEXEC);
        if (master < 0) throw ExecNative.Error("posix_openpt");
        var masterHandle = new SafeFileHandle(master, ownsHandle: true);
        try
        {
            if (ExecNative.grantpt(master) != 0) throw ExecNative.Error("grantpt");
            if (ExecNative.unlockpt(master) != 0) throw ExecNative.Error("unlockpt");
            var name = new byte[128];
            if (ExecNative.ptsname_r(master, name, (nuint)name.Length) != 0) throw ExecNative.Error("ptsname_r");
            var path = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));
            var slave = ExecNative.open(path, ExecNative.O_RDWR | ExecNative.O_NOCTTY | ExecNative.O_CLOEXEC);
            if (slave < 0) throw ExecNative.Error($"open {path}");
            return new Pty(masterHandle, path, new SafeFileHandle(slave, ownsHandle: true));
        }
        catch
        {
            masterHandle.Dispose();
            throw;
        }
    }

    public void Resize(TerminalSize size)
    {
        var winsize = new ExecNative.WinSize { Rows = size.Height, Cols = size.Width };
        if (ExecNative.ioctl((int)Master.DangerousGetHandle(), ExecNative.TIOCSWINSZ, ref winsize) != 0)
            throw ExecNative.Error("TIOCSWINSZ");
    }

    /// <summary>Lets go of our slave descriptor: after the child's are closed too, the master reads EOF (EIO).</summary>
    public void ReleaseSlave() => _slave.Dispose();

    public void Dispose()
    {
        _slave.Dispose();
        Master.Dispose();
    }
}
