using System.Security.Cryptography;

namespace CriShim.Streaming;

/// <summary>
/// Requests waiting for their client, keyed by a random single-use token: a token is consumed by its first
/// use, expires after <see cref="Ttl"/>, and at most <see cref="Capacity"/> are outstanding (insertion fails
/// rather than evicting live tokens, so a flood cannot invalidate legitimate URLs).
/// </summary>
public sealed class RequestCache(TimeProvider time, TimeSpan? ttl = null, int capacity = 1000)
{
    public TimeSpan Ttl { get; } = ttl ?? TimeSpan.FromMinutes(1);
    public int Capacity { get; } = capacity;

    readonly Dictionary<string, (StreamRequest Request, DateTimeOffset Expires)> _entries = new(StringComparer.Ordinal);
    readonly Lock _lock = new();

    /// <summary>Stores the request and returns its token; throws <see cref="RequestCacheFullException"/> when full.</summary>
    public string Insert(StreamRequest request)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_entries.Count >= Capacity) PurgeExpired(now);
            if (_entries.Count >= Capacity)
                throw new RequestCacheFullException($"too many outstanding streaming requests ({Capacity})");
            string token;
            do token = NewToken(); while (_entries.ContainsKey(token));
            _entries[token] = (request, now + Ttl);
            return token;
        }
    }

    /// <summary>The request for a token, removing it; null for unknown, used or expired tokens.</summary>
    public StreamRequest? Consume(string token)
    {
        lock (_lock)
        {
            if (!_entries.Remove(token, out var entry)) return null;
            return entry.Expires > time.GetUtcNow() ? entry.Request : null;
        }
    }

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    void PurgeExpired(DateTimeOffset now)
    {
        foreach (var (token, entry) in _entries.ToList())
            if (entry.Expires <= now) _entries.Remove(token);
    }

    /// <summary>128 random bits, URL-safe base64 without padding.</summary>
    static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public sealed class RequestCacheFullException(string message) : Exception(message);
