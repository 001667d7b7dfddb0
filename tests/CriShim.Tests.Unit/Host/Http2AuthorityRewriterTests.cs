using System.Text;
using CriShim.Host;

namespace CriShim.Tests.Unit.Host;

public class Http2AuthorityRewriterTests
{
    static byte[] Literal(byte kind, int nameIndex, string value) =>
        [(byte)(kind | nameIndex), (byte)value.Length, .. Encoding.ASCII.GetBytes(value)];

    [Test]
    public void IndexedNameAuthority_WithIncrementalIndexing_BecomesSameSizedRegularHeader()
    {
        byte[] block = [0x83, 0x86, .. Literal(0x40, 1, "/run/crishim/crishim.sock"), 0x5f, 0x00];
        // 0x5f 0x00: literal content-type (static 31) with an empty value, a regular header after :authority.
        var rewritten = Http2AuthorityRewriter.Rewrite(block);
        byte[] expected = [0x83, 0x86, 0x40, 10, .. "x-authorit"u8.ToArray(), 25, .. "/run/crishim/crishim.sock"u8.ToArray(), 0x5f, 0x00];
        Assert.That(rewritten, Is.EqualTo(expected));
    }

    [Test]
    public void AuthorityWithoutIndexing_KeepsItsRepresentationKind()
    {
        var rewritten = Http2AuthorityRewriter.Rewrite(Literal(0x00, 1, "/x.sock"));
        Assert.That(rewritten[0], Is.EqualTo(0x00));
        Assert.That(Encoding.ASCII.GetString(rewritten, 2, 10), Is.EqualTo("x-authorit"));
    }

    [Test]
    public void LiteralAuthorityName_IsRenamedToo()
    {
        byte[] block = [0x40, 10, .. ":authority"u8.ToArray(), 9, .. "localhost"u8.ToArray()];
        var rewritten = Http2AuthorityRewriter.Rewrite(block);
        Assert.That(Encoding.ASCII.GetString(rewritten), Does.Contain("x-authorit").And.Not.Contain(":authority"));
    }

    [Test]
    public void BlocksWithoutAuthority_AreCopiedUnchanged()
    {
        byte[] block = [0x82, 0x87, .. Literal(0x40, 4, "/runtime.v1.RuntimeService/Version"), 0xbe];
        // ends with a dynamic table reference (62)
        Assert.That(Http2AuthorityRewriter.Rewrite(block), Is.EqualTo(block));
    }

    [Test]
    public void AuthorityFollowedByAPseudoHeader_IsLeftAlone_AsNetClientsSendIt()
    {
        // :method POST, :scheme http, :authority localhost, :path literal (static name 4): renaming would put a
        // regular header before :path, which Kestrel rejects.
        byte[] block = [0x83, 0x86, .. Literal(0x40, 1, "localhost"), .. Literal(0x40, 4, "/runtime.v1.RuntimeService/Version")];
        Assert.That(Http2AuthorityRewriter.Rewrite(block), Is.EqualTo(block));
    }

    [Test]
    public void AuthorityFollowedByADynamicTableReference_IsLeftAlone()
    {
        byte[] block = [.. Literal(0x40, 1, "/x.sock"), 0xBE];
        Assert.That(Http2AuthorityRewriter.Rewrite(block), Is.EqualTo(block));
    }

    [Test]
    public void MalformedBlock_IsPassedThroughForKestrelToReject()
    {
        byte[] block = [0x41, 0x7f];
        Assert.That(Http2AuthorityRewriter.Rewrite(block), Is.EqualTo(block));
    }
}
