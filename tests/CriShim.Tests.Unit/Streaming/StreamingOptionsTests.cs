using CriShim.Config;
using CriShim.Streaming;

namespace CriShim.Tests.Unit.Streaming;

public class StreamingOptionsTests
{
    [Test]
    public void The_streaming_limits_are_read_from_the_config_file_and_the_address_flag_still_wins()
    {
        var file = Path.Combine(Path.GetTempPath(), $"crishim-streaming-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """
            { "streaming": { "address": "127.0.0.1:9999", "maxSessionDuration": "02:00:00", "frameReadTimeout": "00:00:05",
                             "maxStreamsPerConnection": 7, "maxConcurrentSessions": 3, "maxResizeMessageSize": 512 } }
            """);
        try
        {
            var options = ConfigLoader.Load(["--config", file, "--streaming-address", "127.0.0.1:1234"]).Streaming;
            Assert.That(options.Address, Is.EqualTo("127.0.0.1:1234"));
            Assert.That(options.MaxSessionDuration, Is.EqualTo(TimeSpan.FromHours(2)));
            Assert.That(options.FrameReadTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(options.MaxStreamsPerConnection, Is.EqualTo(7));
            Assert.That(options.MaxConcurrentSessions, Is.EqualTo(3));
            Assert.That(options.MaxResizeMessageSize, Is.EqualTo(512));
            Assert.That(options.IdleTimeout, Is.EqualTo(TimeSpan.FromHours(4)), "what the file leaves out keeps its default");
        }
        finally { File.Delete(file); }
    }

    [Test]
    public void A_limit_of_zero_is_refused_naming_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => new StreamingServerOptions { MaxStreamsPerConnection = 0 }.Validate());
        Assert.That(e!.Message, Does.Contain("streaming.maxStreamsPerConnection"));
        Assert.DoesNotThrow(() => new StreamingServerOptions().Validate());
    }
}
