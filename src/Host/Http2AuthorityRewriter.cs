using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace CriShim.Host;

/// <summary>
/// Kestrel connection middleware for the CRI unix socket. grpc-go clients of the crictl/kubelet era send the
/// socket path as the HTTP/2 :authority ("/run/crishim/crishim.sock"); Kestrel rejects that as an invalid
/// Host and resets every stream (dotnet/aspnetcore#18522, #47043), with no option to turn the check off.
/// This rewrites, in the inbound HPACK header blocks, each literal :authority field into a regular header
/// with a name of the same length ("x-authorit"), so the HPACK dynamic table keeps identical entry sizes and
/// indexes on both sides, and requests simply arrive without an authority (which HTTP/2 allows).
/// </summary>
public static class Http2AuthorityRewriter
{
    const int FrameHeaderLength = 9;
    const byte Headers = 0x1, Continuation = 0x9;
    const byte EndHeaders = 0x4, Padded = 0x8, Priority = 0x20, EndStream = 0x1;
    const int MaxOutFrame = 16384; // the SETTINGS_MAX_FRAME_SIZE Kestrel advertises by default
    static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    static readonly byte[] ReplacementName = "x-authorit"u8.ToArray();
    static readonly byte[] AuthorityName = ":authority"u8.ToArray();

    public static ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        var original = connection.Transport;
        var inbound = new Pipe();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        var pump = PumpAsync(original.Input, inbound.Writer, stop.Token);
        connection.Transport = new DuplexPipe(inbound.Reader, original.Output);
        try { await next(connection); }
        finally
        {
            stop.Cancel();
            await pump;
            connection.Transport = original;
        }
    };

    sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    static async Task PumpAsync(PipeReader source, PipeWriter target, CancellationToken ct)
    {
        var sawPreface = false;
        byte[]? pendingBlock = null; // a header block waiting for its CONTINUATION frames
        int pendingStream = 0; byte pendingFlags = 0;
        Exception? error = null;
        var header = new byte[FrameHeaderLength]; // one per connection: the loop awaits, so no stackalloc
        try
        {
            while (true)
            {
                var result = await source.ReadAsync(ct);
                var buffer = result.Buffer;
                while (true)
                {
                    if (!sawPreface)
                    {
                        if (buffer.Length < Preface.Length) break;
                        var head = buffer.Slice(0, Preface.Length).ToArray();
                        Write(target, head);
                        buffer = buffer.Slice(Preface.Length);
                        sawPreface = true;
                        if (!head.AsSpan().SequenceEqual(Preface)) { CopyRest(ref buffer, target); break; }
                        continue;
                    }
                    if (buffer.Length < FrameHeaderLength) break;
                    buffer.Slice(0, FrameHeaderLength).CopyTo(header);
                    var length = (header[0] << 16) | (header[1] << 8) | header[2];
                    if (buffer.Length < FrameHeaderLength + length) break;
                    var type = header[3];
                    var flags = header[4];
                    var streamId = ((header[5] & 0x7f) << 24) | (header[6] << 16) | (header[7] << 8) | header[8];
                    var frame = buffer.Slice(0, FrameHeaderLength + length);
                    if (type == Headers)
                    {
                        var payload = frame.Slice(FrameHeaderLength).ToArray();
                        var block = HeaderBlockOf(payload, flags);
                        if ((flags & EndHeaders) != 0) WriteHeaders(target, streamId, flags, Rewrite(block));
                        else { pendingBlock = block; pendingStream = streamId; pendingFlags = flags; }
                    }
                    else if (type == Continuation && pendingBlock is not null && streamId == pendingStream)
                    {
                        pendingBlock = [.. pendingBlock, .. frame.Slice(FrameHeaderLength).ToArray()];
                        if ((flags & EndHeaders) != 0)
                        {
                            WriteHeaders(target, pendingStream, pendingFlags, Rewrite(pendingBlock));
                            pendingBlock = null;
                        }
                    }
                    else
                    {
                        foreach (var segment in frame) Write(target, segment.Span);
                    }
                    buffer = buffer.Slice(frame.End);
                }
                source.AdvanceTo(buffer.Start, buffer.End);
                var flush = await target.FlushAsync(ct);
                if (result.IsCompleted || flush.IsCompleted) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e) { error = e; }
        await target.CompleteAsync(error);
        await source.CompleteAsync();
    }

    static void CopyRest(ref ReadOnlySequence<byte> buffer, PipeWriter target)
    {
        foreach (var segment in buffer) Write(target, segment.Span);
        buffer = buffer.Slice(buffer.End);
    }

    static void Write(PipeWriter target, ReadOnlySpan<byte> bytes)
    {
        var span = target.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        target.Advance(bytes.Length);
    }

    /// <summary>The header block fragment of a HEADERS payload, without padding and priority fields.</summary>
    static byte[] HeaderBlockOf(byte[] payload, byte flags)
    {
        int start = 0, end = payload.Length;
        if ((flags & Padded) != 0) { end -= payload[0]; start = 1; }
        if ((flags & Priority) != 0) start += 5;
        return start <= end ? payload[start..end] : [];
    }

    /// <summary>Emits the block as one HEADERS frame (plus CONTINUATIONs if it outgrew a frame), unpadded, no priority.</summary>
    static void WriteHeaders(PipeWriter target, int streamId, byte originalFlags, byte[] block)
    {
        var offset = 0;
        var first = true;
        Span<byte> header = stackalloc byte[FrameHeaderLength];
        do
        {
            var chunk = Math.Min(MaxOutFrame, block.Length - offset);
            var last = offset + chunk == block.Length;
            byte flags = (byte)((last ? EndHeaders : 0) | (first ? originalFlags & EndStream : 0));
            header[0] = (byte)(chunk >> 16); header[1] = (byte)(chunk >> 8); header[2] = (byte)chunk;
            header[3] = first ? Headers : Continuation; header[4] = flags;
            header[5] = (byte)(streamId >> 24); header[6] = (byte)(streamId >> 16); header[7] = (byte)(streamId >> 8); header[8] = (byte)streamId;
            Write(target, header);
            Write(target, block.AsSpan(offset, chunk));
            offset += chunk;
            first = false;
        } while (offset < block.Length);
    }

    /// <summary>One field representation of an HPACK block (RFC 7541 §6), located by byte offsets.</summary>
    /// <summary>An HPACK string runs past the end of its block.</summary>
    sealed class MalformedBlockException : Exception;

    readonly record struct Field(int Start, int End, byte Kind, int NameIndex, bool LiteralAuthorityName, bool LiteralPseudoName, int ValueStart);

    /// <summary>
    /// Renames literal :authority fields of an HPACK block; everything else is copied. Only an :authority that no
    /// pseudo-header can follow is renamed (grpc-go sends it last of them; .NET and others send it before :path,
    /// and with a valid host), since a regular header before a pseudo-header is a protocol error.
    /// </summary>
    internal static byte[] Rewrite(byte[] block)
    {
        List<Field> fields;
        try { fields = Parse(block); }
        catch (Exception e) when (e is IndexOutOfRangeException or MalformedBlockException) { return block; } // malformed: let Kestrel's decoder report it
        var output = new ArrayBufferWriter<byte>(block.Length + 16);
        for (var i = 0; i < fields.Count; i++)
        {
            var f = fields[i];
            var isAuthority = f.Kind != 0xFF && (f.NameIndex == 1 || f.LiteralAuthorityName);
            if (!isAuthority || fields.Skip(i + 1).Any(MayBePseudoHeader))
            {
                output.Write(block.AsSpan(f.Start, f.End - f.Start));
                continue;
            }
            output.Write([f.Kind, (byte)ReplacementName.Length]);
            output.Write(ReplacementName);
            output.Write(block.AsSpan(f.ValueStart, f.End - f.ValueStart));
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Static table entries 1..14 are pseudo-headers; a dynamic entry (62+) is unknown here, so assumed one.</summary>
    static bool MayBePseudoHeader(Field f) => f.Kind switch
    {
        0xFE => false, // table size update
        _ when f.NameIndex == 0 => f.LiteralPseudoName,
        _ => f.NameIndex <= 14 || f.NameIndex > 61,
    };

    static List<Field> Parse(byte[] block)
    {
        var fields = new List<Field>();
        var pos = 0;
        while (pos < block.Length)
        {
            var start = pos;
            var b = block[pos];
            if ((b & 0x80) != 0)
            {
                var index = ReadInt(block, ref pos, 7);
                fields.Add(new Field(start, pos, 0xFF, index, false, false, pos));
                continue;
            }
            if ((b & 0xE0) == 0x20)
            {
                ReadInt(block, ref pos, 5);
                fields.Add(new Field(start, pos, 0xFE, -1, false, false, pos));
                continue;
            }
            var incremental = (b & 0xC0) == 0x40;
            var kind = incremental ? (byte)0x40 : (byte)(b & 0xF0); // 0x40, 0x00 (without indexing) or 0x10 (never indexed)
            var nameIndex = ReadInt(block, ref pos, incremental ? 6 : 4);
            bool authorityName = false, pseudoName = false;
            if (nameIndex == 0)
            {
                var (nameStart, nameEnd, huffman) = ReadString(block, ref pos);
                var name = block.AsSpan(nameStart, nameEnd - nameStart);
                authorityName = !huffman && name.SequenceEqual(AuthorityName);
                // Huffman codes are prefix-free and ':' is 1011100 (RFC 7541 Appendix B), so the first 7 bits tell.
                pseudoName = name.Length > 0 && (huffman ? name[0] >> 1 == 0x5c : name[0] == (byte)':');
            }
            var valueStart = pos;
            ReadString(block, ref pos);
            fields.Add(new Field(start, pos, kind, nameIndex, authorityName, pseudoName, valueStart));
        }
        return fields;
    }

    static int ReadInt(byte[] block, ref int pos, int prefixBits)
    {
        var mask = (1 << prefixBits) - 1;
        var value = block[pos++] & mask;
        if (value < mask) return value;
        var shift = 0;
        byte next;
        do
        {
            next = block[pos++];
            value += (next & 0x7f) << shift;
            shift += 7;
        } while ((next & 0x80) != 0 && shift < 28);
        return value;
    }

    static (int Start, int End, bool Huffman) ReadString(byte[] block, ref int pos)
    {
        var huffman = (block[pos] & 0x80) != 0;
        var length = ReadInt(block, ref pos, 7);
        var start = pos;
        pos += length;
        if (pos > block.Length) throw new MalformedBlockException();
        return (start, pos, huffman);
    }
}
