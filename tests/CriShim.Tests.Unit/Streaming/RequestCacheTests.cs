using CriShim.Streaming;

namespace CriShim.Tests.Unit.Streaming;

public class RequestCacheTests
{
    sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    static readonly PortForwardStreamRequest Request = new(new PodTarget("pod", "/run/netns/x"), [80]);

    [Test]
    public void A_token_can_be_redeemed_once()
    {
        var cache = new RequestCache(new ManualClock());
        var token = cache.Insert(Request);
        Assert.That(cache.Consume(token), Is.SameAs(Request));
        Assert.That(cache.Consume(token), Is.Null);
    }

    [Test]
    public void A_token_expires_after_its_time_to_live()
    {
        var clock = new ManualClock();
        var cache = new RequestCache(clock, TimeSpan.FromMinutes(1));
        var token = cache.Insert(Request);
        clock.Now += TimeSpan.FromSeconds(61);
        Assert.That(cache.Consume(token), Is.Null);
    }

    [Test]
    public void Tokens_are_random_and_url_safe()
    {
        var cache = new RequestCache(new ManualClock());
        var tokens = Enumerable.Range(0, 100).Select(_ => cache.Insert(Request)).ToList();
        Assert.That(tokens.Distinct().Count(), Is.EqualTo(100));
        Assert.That(tokens, Has.All.Matches<string>(t => t.Length >= 20 && t.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')));
    }

    [Test]
    public void The_number_of_outstanding_requests_is_bounded_until_some_expire()
    {
        var clock = new ManualClock();
        var cache = new RequestCache(clock, TimeSpan.FromMinutes(1), capacity: 3);
        for (var i = 0; i < 3; i++) cache.Insert(Request);
        Assert.Throws<RequestCacheFullException>(() => cache.Insert(Request));

        clock.Now += TimeSpan.FromMinutes(2);
        Assert.DoesNotThrow(() => cache.Insert(Request));
        Assert.That(cache.Count, Is.EqualTo(1));
    }

    [Test]
    public void An_unknown_token_finds_nothing()
    {
        Assert.That(new RequestCache(new ManualClock()).Consume("nope"), Is.Null);
    }
}
