using System.Runtime.InteropServices;

namespace CriShim.Streaming.Spdy;

/// <summary>
/// The few zlib entry points SPDY header compression needs. System.IO.Compression (.NET 10) cannot take a preset
/// dictionary (ZLibCompressionOptions has only level and strategy, and its native shim exports no
/// *SetDictionary), so we call the system zlib (Debian's libz.so.1) directly.
/// </summary>
static class ZLibNative
{
    const string Lib = "libz.so.1";
    public const int Ok = 0, StreamEnd = 1, NeedDict = 2, BufError = -5;
    public const int NoFlush = 0, SyncFlush = 2;
    public const int BestCompression = 9;

    // z_stream on LP64: next_in@0 avail_in@8 total_in@16 next_out@24 avail_out@32 total_out@40 msg@48
    // state@56 zalloc@64 zfree@72 opaque@80 data_type@88 adler@96 reserved@104; 112 bytes.
    public const int StreamSize = 112;
    public const int NextIn = 0, AvailIn = 8, NextOut = 24, AvailOut = 32, Msg = 48;

    [DllImport(Lib, EntryPoint = "zlibVersion")]
    public static extern IntPtr Version();

    [DllImport(Lib, EntryPoint = "deflateInit_")]
    public static extern int DeflateInit(IntPtr stream, int level, IntPtr version, int streamSize);

    [DllImport(Lib, EntryPoint = "deflateSetDictionary")]
    public static extern int DeflateSetDictionary(IntPtr stream, byte[] dictionary, uint length);

    [DllImport(Lib, EntryPoint = "deflate")]
    public static extern int Deflate(IntPtr stream, int flush);

    [DllImport(Lib, EntryPoint = "deflateEnd")]
    public static extern int DeflateEnd(IntPtr stream);

    [DllImport(Lib, EntryPoint = "inflateInit_")]
    public static extern int InflateInit(IntPtr stream, IntPtr version, int streamSize);

    [DllImport(Lib, EntryPoint = "inflateSetDictionary")]
    public static extern int InflateSetDictionary(IntPtr stream, byte[] dictionary, uint length);

    [DllImport(Lib, EntryPoint = "inflate")]
    public static extern int Inflate(IntPtr stream, int flush);

    [DllImport(Lib, EntryPoint = "inflateEnd")]
    public static extern int InflateEnd(IntPtr stream);

    public static string Message(IntPtr stream, int code)
    {
        var msg = Marshal.ReadIntPtr(stream, Msg);
        return msg == IntPtr.Zero ? $"zlib error {code}" : $"zlib error {code}: {Marshal.PtrToStringAnsi(msg)}";
    }
}
