namespace CriShim.Oci.Rootfs;

/// <summary>A mount or unmount syscall failed; carries the errno.</summary>
public sealed class MountException(string message, int errno) : IOException(message)
{
    public int Errno { get; } = errno;
}
