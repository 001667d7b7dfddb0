namespace CriShim.Tests.Integration.Cgroups;

internal static class Poll
{
    /// <summary>Reads until the condition holds or the timeout passes, and returns the last value read.</summary>
    public static async Task<T> Until<T>(Func<T> read, Func<T, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        var value = read();
        while (!condition(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            value = read();
        }
        return value;
    }
}
