namespace CriShim.Images;

/// <summary>How long registry calls may take and how often transient failures are retried.</summary>
public sealed record PullTimeouts
{
    /// <summary>Time to get response headers (and a whole manifest or token) per attempt.</summary>
    public TimeSpan Request { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A blob download that receives no byte for this long is abandoned (and retried).</summary>
    public TimeSpan NoProgress { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Retries after the first attempt, with exponential backoff from <see cref="RetryDelay"/>.</summary>
    public int MaxRetries { get; init; } = 3;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(300);
}
