using System.Net.Sockets;

namespace CriShim.Tests.Unit.Host;

public sealed class CriSocketModeTests
{
    [Test]
    public void The_socket_has_its_final_mode_while_it_is_bound_and_not_yet_listening()
    {
        var dir = Directory.CreateTempSubdirectory("crishim-sock-").FullName;
        try
        {
            var path = Path.Combine(dir, "crishim.sock");
            using var socket = DaemonHost.BindListenSocket(new UnixDomainSocketEndPoint(path), path);

            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(DaemonHost.SocketMode));
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            Assert.That(() => client.Connect(new UnixDomainSocketEndPoint(path)),
                Throws.TypeOf<SocketException>().With.Property(nameof(SocketException.SocketErrorCode)).EqualTo(SocketError.ConnectionRefused),
                "nothing is accepted before Kestrel calls listen");
        }
        finally { Directory.Delete(dir, true); }
    }
}
