namespace CriShim.Tests.Integration.Support;

/// <summary>A unique scratch directory under /tmp, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "crishim-test-")
    {
        Path = System.IO.Path.Combine("/tmp", prefix + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(p);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
