using System.Runtime.InteropServices;

namespace CriShim.Oci.Cgroups;

/// <summary>setns(2), which neither the BCL nor Mono.Unix exposes.</summary>
internal static class NetNsInterop
{
    public const int CloneNewNet = 0x40000000;

    // DllImport (not LibraryImport) so the project needs no AllowUnsafeBlocks; the signature is blittable.
    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static extern int SetNs(int fd, int nsType);
}
