using System.Net;
using System.Net.Sockets;

namespace CriShim.Tests.Integration.Support;

/// <summary>Where things are: the repository checkout, unique temp dirs, free loopback ports.</summary>
public static class TestPaths
{
    /// <summary>The checkout, found by walking up from the test assembly to CriShim.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CriShim.sln"))) return dir.FullName;
        throw new InvalidOperationException($"CriShim.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>A new empty directory under /tmp named after <paramref name="purpose"/>; the caller deletes it.</summary>
    public static string NewTempDir(string purpose)
    {
        var dir = Path.Combine("/tmp", $"crishim-{purpose}-{Guid.NewGuid():N}"[..(16 + purpose.Length)]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
