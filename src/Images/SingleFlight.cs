using System.Collections.Concurrent;

namespace CriShim.Images;

/// <summary>
/// Runs one operation per key at a time and lets every concurrent caller share its result. The shared work runs
/// on its own token, so one caller giving up does not cancel the others; each caller only stops waiting.
/// </summary>
public sealed class SingleFlight<TKey, TResult>(CancellationToken lifetime = default) where TKey : notnull
{
    readonly ConcurrentDictionary<TKey, Lazy<Task<TResult>>> _running = new();

    public bool IsRunning(TKey key) => _running.ContainsKey(key);

    public async Task<TResult> RunAsync(TKey key, Func<CancellationToken, Task<TResult>> operation, CancellationToken cancellationToken)
    {
        var lazy = _running.GetOrAdd(key, k => new Lazy<Task<TResult>>(() => RunAndForgetAsync(k, operation)));
        return await lazy.Value.WaitAsync(cancellationToken);
    }

    async Task<TResult> RunAndForgetAsync(TKey key, Func<CancellationToken, Task<TResult>> operation)
    {
        try
        {
            await Task.Yield();
            return await operation(lifetime);
        }
        finally
        {
            _running.TryRemove(key, out _);
        }
    }
}
