using System.Text;
using System.Text.Json.Nodes;
using CriShim.Streaming;
using CriShim.Streaming.RemoteCommand;

namespace CriShim.Tests.Unit.Streaming;

public class ProtocolTests
{
    static readonly string[] Spdy = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];

    [Test]
    public void The_clients_first_supported_preference_wins()
    {
        Assert.That(ProtocolNegotiation.Select(["v5.channel.k8s.io", "v3.channel.k8s.io", "v4.channel.k8s.io"], Spdy), Is.EqualTo("v3.channel.k8s.io"));
    }

    [Test]
    public void Comma_separated_offers_are_understood()
    {
        Assert.That(ProtocolNegotiation.Select(["v9.channel.k8s.io, v4.channel.k8s.io"], Spdy), Is.EqualTo("v4.channel.k8s.io"));
    }

    [Test]
    public void No_offer_selects_the_legacy_protocol_and_no_match_refuses()
    {
        Assert.That(ProtocolNegotiation.Select([], Spdy), Is.EqualTo(""));
        Assert.That(ProtocolNegotiation.Select(["v9.channel.k8s.io"], Spdy), Is.Null);
    }

    [Test]
    public void Spdy_protocol_names_map_to_versions()
    {
        Assert.That(Spdy.Append("").Select(SpdyRemoteCommand.ProtocolVersion), Is.EqualTo(new[] { 4, 3, 2, 1, 1 }));
    }

    [Test]
    public void A_non_zero_exit_is_a_v4_status_carrying_the_exit_code()
    {
        var status = JsonNode.Parse(new CommandStatus(3).ToV4Json())!;
        Assert.That((string?)status["status"], Is.EqualTo("Failure"));
        Assert.That((string?)status["reason"], Is.EqualTo("NonZeroExitCode"));
        Assert.That((string?)status["details"]!["causes"]![0]!["reason"], Is.EqualTo("ExitCode"));
        Assert.That((string?)status["details"]!["causes"]![0]!["message"], Is.EqualTo("3"));
    }

    [Test]
    public void Success_is_a_v4_success_status_and_nothing_in_v1()
    {
        Assert.That((string?)JsonNode.Parse(CommandStatus.Success.ToV4Json())!["status"], Is.EqualTo("Success"));
        Assert.That(CommandStatus.Success.ToV1Text(), Is.Empty);
    }

    [Test]
    public void An_internal_error_is_a_500_status_with_its_message()
    {
        var status = JsonNode.Parse(CommandStatus.Failed("runc exploded").ToV4Json())!;
        Assert.That((int?)status["code"], Is.EqualTo(500));
        Assert.That((string?)status["message"], Does.Contain("runc exploded"));
        Assert.That(Encoding.UTF8.GetString(CommandStatus.Failed("runc exploded").ToV1Text()), Is.EqualTo("runc exploded"));
    }
}
