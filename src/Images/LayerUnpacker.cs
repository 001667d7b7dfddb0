using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Runtime.InteropServices;
using System.Text;
using Mono.Unix.Native;
using ZstdSharp;

namespace CriShim.Images;

/// <summary>
/// Unpacks one layer tar (plain, gzip or zstd) into a directory ready to be an overlay lowerdir: whiteouts become
/// 0/0 character devices, opaque markers become trusted.overlay.opaque=y; owners, modes, times, links, device
/// nodes and the xattrs a container may carry (<see cref="ContainerXattrs"/>) are kept. Every path it computes
/// (entries, whiteouts and what they hide, opaque markers, hard link targets) resolves strictly inside the target
/// and never through a symlink; anything else fails with <see cref="ImageErrorKind.Unsafe"/>. A layer over its
/// <see cref="LayerLimits"/> fails with <see cref="ImageErrorKind.TooLarge"/>.
/// </summary>
public static class LayerUnpacker
{
    const string WhiteoutPrefix = ".wh.";
    const string OpaqueMarker = ".wh..wh..opq";
    const int AtFdCwd = -100;

    public static Task<Digest> UnpackAsync(Stream layer, string target, CancellationToken ct) =>
        UnpackAsync(layer, target, LayerLimits.Default, ct);

    /// <summary>Unpacks <paramref name="layer"/> (compression sniffed from its first bytes) and returns the
    /// sha256 of the uncompressed tar: the layer's diff ID, for the caller to verify.</summary>
    public static async Task<Digest> UnpackAsync(Stream layer, string target, LayerLimits limits, CancellationToken ct)
    {
        var root = Path.GetFullPath(target);
        Directory.CreateDirectory(root);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var decompressed = await DecompressAsync(layer, ct);
        await using var metered = new MeteredTarStream(decompressed, hash, limits.MaxBytes);
        var state = new Unpacking(root);
        var reader = new TarReader(metered, leaveOpen: true);
        long entries = 0;
        try
        {
            while (true)
            {
                metered.BeginCapture();
                var entry = await reader.GetNextEntryAsync(copyData: false, ct);
                var headers = metered.EndCapture();
                if (entry is null) break;
                ct.ThrowIfCancellationRequested();
                if (++entries > limits.MaxEntries)
                    throw new ImageException(ImageErrorKind.TooLarge,
                        $"layer has more than {limits.MaxEntries} entries, the limit on a layer's entries (images.maxLayerEntries)");
                await ExtractAsync(entry, state, () => PaxHeaderScanner.RecordsBeforeEntryHeader(headers.Span), ct);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ZstdException)
        {
            throw new ImageException(ImageErrorKind.Corrupt, $"layer is not a valid tar archive: {e.Message}", e);
        }
        finally
        {
            await reader.DisposeAsync();
        }
        // The diff ID covers the whole tar stream, including the end-of-archive padding the reader leaves unread
        // (counted against the size cap too: a bomb could hide there).
        await metered.CopyToAsync(Stream.Null, ct);
        // Directory times last: creating their entries changed them.
        for (var i = state.Directories.Count - 1; i >= 0; i--) SetTimes(state.Directories[i].Path, state.Directories[i].Time);
        return Digest.FromHash(hash.GetHashAndReset());
    }

    static async Task<Stream> DecompressAsync(Stream layer, CancellationToken ct)
    {
        var buffered = new BufferedStream(layer, 1 << 16);
        var magic = new byte[4];
        var read = 0;
        // Peek without consuming: BufferedStream cannot unread, so read into a prefix and re-chain it.
        while (read < magic.Length)
        {
            var n = await buffered.ReadAsync(magic.AsMemory(read), ct);
            if (n == 0) break;
            read += n;
        }
        Stream all = new PrefixedStream(magic.AsMemory(0, read), buffered);
        if (read >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return new GZipStream(all, CompressionMode.Decompress);
        if (read == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) return new DecompressionStream(all);
        return all;
    }

    /// <summary>What one unpack remembers between entries.</summary>
    sealed class Unpacking(string root)
    {
        public string Root { get; } = root;
        /// <summary>Directories (with their times) to stamp once every entry is in.</summary>
        public List<(string Path, DateTimeOffset Time)> Directories { get; } = [];
        /// <summary>Full paths this unpack made or found to be real directories (not symlinks): a parent in here needs
        /// no lstat for each entry below it. Only this unpack writes the tree, and removing a directory forgets all.</summary>
        public HashSet<string> KnownDirectories { get; } = new(StringComparer.Ordinal);
        /// <summary>One copy buffer for every file of the layer, pinned so write(2) can take it directly.</summary>
        public byte[] Buffer { get; } = GC.AllocateUninitializedArray<byte>(1 << 17, pinned: true);
    }

    static async Task ExtractAsync(TarEntry entry, Unpacking state, Func<IReadOnlyDictionary<string, byte[]>?> rawPax, CancellationToken ct)
    {
        var root = state.Root;
        if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) return;
        var relative = SafeRelativePath(entry.Name, "entry");
        var name = relative.Length == 0 ? "" : Path.GetFileName(relative);

        if (name == OpaqueMarker)
        {
            var dir = Inside(root, EnsureParents(state, relative, entry.Name), entry.Name, allowRoot: true);
            SetXattr(dir, "trusted.overlay.opaque", "y"u8.ToArray());
            return;
        }
        if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            if (name.StartsWith(WhiteoutPrefix + WhiteoutPrefix, StringComparison.Ordinal)) return; // aufs metadata
            var hiddenName = name[WhiteoutPrefix.Length..];
            // ".wh.." and ".wh..." would hide the directory itself or its parent: outside what a whiteout may name
            if (hiddenName is "" or "." or "..")
                throw Unsafe($"whiteout \"{entry.Name}\" hides \"{hiddenName}\", which is not an entry of the layer");
            var parent = EnsureParents(state, relative, entry.Name);
            var hidden = Inside(root, Path.Combine(parent, hiddenName), entry.Name, allowRoot: false);
            RemoveExisting(state, hidden, keepDirectory: false);
            Check(Syscall.mknod(hidden, FilePermissions.S_IFCHR, 0), "mknod", hidden);
            Check(Syscall.lchown(hidden, entry.Uid, entry.Gid), "lchown", hidden);
            return;
        }

        string path;
        if (relative.Length == 0)
        {
            // "." or "./" may only describe the root directory: anything else would replace the layer itself
            if (entry.EntryType != TarEntryType.Directory)
                throw Unsafe($"entry \"{entry.Name}\" would replace the layer root with a {entry.EntryType}");
            path = root;
        }
        else path = Inside(root, Path.Combine(EnsureParents(state, relative, entry.Name), name), entry.Name, allowRoot: false);

        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                MakeDirectory(state, path);
                ApplyOwnerAndMode(path, entry, rawPax);
                state.Directories.Add((path, entry.ModificationTime));
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                await WriteFileAsync(state, path, entry, rawPax, ct);
                break;
            case TarEntryType.SymbolicLink:
                RemoveExisting(state, path, keepDirectory: false);
                // The target is only text: it is never followed while unpacking.
                File.CreateSymbolicLink(path, entry.LinkName);
                // no xattrs: a symlink can carry neither user.* nor capabilities
                Check(Syscall.lchown(path, entry.Uid, entry.Gid), "lchown", path);
                SetTimes(path, entry.ModificationTime);
                break;
            case TarEntryType.HardLink:
            {
                var targetRelative = SafeRelativePath(entry.LinkName, "hard link target");
                if (targetRelative.Length == 0) throw Unsafe($"hard link \"{entry.Name}\" points at the layer root");
                var target = Inside(root, ResolveExisting(state, targetRelative, entry.LinkName), entry.LinkName, allowRoot: false);
                if (Syscall.lstat(target, out var st) != 0)
                    throw new ImageException(ImageErrorKind.Corrupt, $"hard link \"{entry.Name}\" points at \"{entry.LinkName}\", which the layer does not contain before it");
                if ((st.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFDIR)
                    throw Unsafe($"hard link \"{entry.Name}\" points at directory \"{entry.LinkName}\"");
                if (target == path) break;
                RemoveExisting(state, path, keepDirectory: false);
                Check(Syscall.link(target, path), "link", path);
                break;
            }
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
            {
                RemoveExisting(state, path, keepDirectory: false);
                var type = entry.EntryType switch
                {
                    TarEntryType.CharacterDevice => FilePermissions.S_IFCHR,
                    TarEntryType.BlockDevice => FilePermissions.S_IFBLK,
                    _ => FilePermissions.S_IFIFO,
                };
                var posix = (PosixTarEntry)entry;
                var dev = entry.EntryType == TarEntryType.Fifo ? 0UL : MakeDev((uint)posix.DeviceMajor, (uint)posix.DeviceMinor);
                Check(Syscall.mknod(path, type | (FilePermissions)((uint)entry.Mode & 0xfff), dev), "mknod", path);
                ApplyOwnerAndMode(path, entry, rawPax);
                SetTimes(path, entry.ModificationTime);
                break;
            }
            default:
                throw new ImageException(ImageErrorKind.Unsupported, $"entry \"{entry.Name}\" has unsupported tar type {entry.EntryType}");
        }
    }

    /// <summary>The cleaned relative path of a tar name ("" for the root); absolute names and ".." are hostile.</summary>
    public static string SafeRelativePath(string name, string what)
    {
        if (name.StartsWith('/')) throw Unsafe($"{what} \"{name}\" is an absolute path");
        if (name.Contains('\0')) throw Unsafe($"{what} \"{name}\" contains a NUL byte");
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..") throw Unsafe($"{what} \"{name}\" climbs out of the layer with \"..\"");
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>Creates missing parent directories of <paramref name="relative"/> and returns the parent's full path;
    /// refuses to go through a symlink (a hostile layer could point one at / and write through it).</summary>
    static string EnsureParents(Unpacking state, string relative, string entryName)
    {
        var current = state.Root;
        var parts = relative.Split('/');
        for (var i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            if (state.KnownDirectories.Contains(current)) continue;
            if (Syscall.lstat(current, out var st) != 0)
            {
                Directory.CreateDirectory(current);
                state.KnownDirectories.Add(current);
                continue;
            }
            var type = st.st_mode & FilePermissions.S_IFMT;
            if (type == FilePermissions.S_IFLNK) throw Unsafe($"entry \"{entryName}\" goes through symlink \"{string.Join('/', parts[..(i + 1)])}\"");
            if (type != FilePermissions.S_IFDIR)
                throw new ImageException(ImageErrorKind.Corrupt, $"entry \"{entryName}\": \"{string.Join('/', parts[..(i + 1)])}\" is not a directory");
            state.KnownDirectories.Add(current);
        }
        return current;
    }

    /// <summary>Full path of an existing entry, checking no component on the way is a symlink.</summary>
    static string ResolveExisting(Unpacking state, string relative, string entryName)
    {
        var current = state.Root;
        var parts = relative.Split('/');
        for (var i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            if (state.KnownDirectories.Contains(current)) continue;
            if (Syscall.lstat(current, out var st) == 0 && (st.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFLNK)
                throw Unsafe($"hard link target \"{entryName}\" goes through symlink \"{string.Join('/', parts[..(i + 1)])}\"");
        }
        return Path.Combine(current, parts[^1]);
    }

    static void RemoveExisting(Unpacking state, string path, bool keepDirectory)
    {
        if (Syscall.lstat(path, out var st) != 0) return;
        var type = st.st_mode & FilePermissions.S_IFMT;
        if (type == FilePermissions.S_IFDIR)
        {
            if (keepDirectory) return;
            Directory.Delete(path, recursive: true);
            state.KnownDirectories.Clear(); // rare: forget everything rather than find what was below
        }
        else File.Delete(path);
    }

    /// <summary>A directory entry: mkdir first (in a new layer the path is almost always free), and only when
    /// something is there already look at what (a directory stays, anything else is replaced).</summary>
    static void MakeDirectory(Unpacking state, string path)
    {
        if (path == state.Root || state.KnownDirectories.Contains(path)) return;
        if (Syscall.mkdir(path, (FilePermissions)0b111_000_000) != 0)
        {
            if (Stdlib.GetLastError() != Errno.EEXIST) Check(-1, "mkdir", path);
            RemoveExisting(state, path, keepDirectory: true);
            if (Syscall.lstat(path, out _) != 0) Check(Syscall.mkdir(path, (FilePermissions)0b111_000_000), "mkdir", path);
        }
        state.KnownDirectories.Add(path);
    }

    /// <summary>
    /// A regular file through one descriptor: created exclusively and without following a symlink (what is in the way
    /// is removed and the create tried once more), filled from the shared buffer, then owner, mode, xattrs and times
    /// set on the descriptor, not by path again. No fsync: a layer becomes visible only by the rename after the
    /// whole unpack, and a crash before then leaves only temp garbage.
    /// </summary>
    static async Task WriteFileAsync(Unpacking state, string path, TarEntry entry, Func<IReadOnlyDictionary<string, byte[]>?> rawPax, CancellationToken ct)
    {
        const OpenFlags flags = OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC;
        var fd = Syscall.open(path, flags, (FilePermissions)0b110_000_000);
        if (fd < 0 && Stdlib.GetLastError() == Errno.EEXIST)
        {
            RemoveExisting(state, path, keepDirectory: false);
            fd = Syscall.open(path, flags, (FilePermissions)0b110_000_000);
        }
        Check(fd < 0 ? -1 : 0, "open", path);
        try
        {
            if (entry.DataStream is { } data)
            {
                var buffer = state.Buffer;
                int read;
                while ((read = await data.ReadAsync(buffer, ct)) > 0) WriteAll(fd, buffer, read, path);
            }
            Check(Syscall.fchown(fd, entry.Uid, entry.Gid), "fchown", path);
            // after chown: chown clears setuid/setgid
            Check(Syscall.fchmod(fd, (FilePermissions)((uint)entry.Mode & 0xfff)), "fchmod", path);
            // capabilities last too: chown clears security.capability
            if (entry is PaxTarEntry pax)
                foreach (var (name, value) in ContainerXattrs.Of(pax.ExtendedAttributes, rawPax))
                    Check(Syscall.fsetxattr(fd, name, value, (ulong)value.Length, XattrFlags.XATTR_AUTO), "setxattr " + name, path);
            var time = ToTimespec(entry.ModificationTime);
            Check(Syscall.futimens(fd, [time, time]), "futimens", path);
        }
        finally
        {
            Syscall.close(fd);
        }
    }

    static void WriteAll(int fd, byte[] pinned, int count, string path)
    {
        var start = Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0);
        for (var offset = 0; offset < count;)
        {
            var written = Syscall.write(fd, start + offset, (ulong)(count - offset));
            if (written < 0 && Stdlib.GetLastError() == Errno.EINTR) continue;
            if (written < 0) Check(-1, "write", path);
            offset += (int)written;
        }
    }

    static void ApplyOwnerAndMode(string path, TarEntry entry, Func<IReadOnlyDictionary<string, byte[]>?> rawPax)
    {
        Check(Syscall.lchown(path, entry.Uid, entry.Gid), "lchown", path);
        // after chown: chown clears setuid/setgid
        Check(Syscall.chmod(path, (FilePermissions)((uint)entry.Mode & 0xfff)), "chmod", path);
        // capabilities last too: chown clears security.capability
        if (entry is PaxTarEntry pax)
            foreach (var (name, value) in ContainerXattrs.Of(pax.ExtendedAttributes, rawPax)) SetXattr(path, name, value);
    }

    /// <summary>The full path, checked to lie strictly inside the layer root (or be the root, where allowed).</summary>
    static string Inside(string root, string path, string entryName, bool allowRoot)
    {
        var full = Path.GetFullPath(path);
        if (full == root ? allowRoot : full.StartsWith(root + "/", StringComparison.Ordinal)) return full;
        throw Unsafe($"entry \"{entryName}\" resolves to \"{full}\", outside the layer");
    }

    static void SetXattr(string path, string name, byte[] value) =>
        Check(Syscall.lsetxattr(path, name, value, (ulong)value.Length, XattrFlags.XATTR_AUTO), "setxattr " + name, path);

    static void SetTimes(string path, DateTimeOffset time)
    {
        var spec = ToTimespec(time);
        Check(Syscall.utimensat(AtFdCwd, path, [spec, spec], AtFlags.AT_SYMLINK_NOFOLLOW), "utimensat", path);
    }

    static Timespec ToTimespec(DateTimeOffset time)
    {
        var ticks = time.ToUnixTimeMilliseconds();
        var spec = new Timespec { tv_sec = Math.DivRem(ticks, 1000, out var ms), tv_nsec = ms * 1_000_000 };
        if (spec.tv_nsec < 0) { spec.tv_sec -= 1; spec.tv_nsec += 1_000_000_000; }
        return spec;
    }

    /// <summary>Linux's dev_t encoding (glibc gnu_dev_makedev).</summary>
    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    static void Check(int result, string call, string path)
    {
        if (result == 0) return;
        var errno = Stdlib.GetLastError();
        throw new IOException($"{call} {path}: {errno}");
    }

    static ImageException Unsafe(string message) => new(ImageErrorKind.Unsafe, $"unsafe layer: {message}");
}
