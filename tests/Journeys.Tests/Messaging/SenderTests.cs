using Journeys.Messaging;
using Microsoft.Extensions.Logging;

namespace Journeys.Tests.Messaging;

public sealed class SenderTests
{
    [Fact]
    public async Task Recording_sender_records_and_fails_on_demand()
    {
        var sender = new RecordingChannelSender();
        sender.FailNextTransiently(1, "busy");
        sender.FailNextPermanently(1, "bad address");

        Assert.Equal(SendResult.Transient("busy"), await sender.SendAsync(MessageFactory.Create(messageId: "m1"), default));
        Assert.Equal(SendResult.Permanent("bad address"), await sender.SendAsync(MessageFactory.Create(messageId: "m2"), default));
        Assert.Equal(SendResult.Sent, await sender.SendAsync(MessageFactory.Create(messageId: "m3"), default));

        Assert.Equal(3, sender.Attempts);
        Assert.Equal("m3", Assert.Single(sender.Messages).MessageId);
        sender.Clear();
        Assert.Empty(sender.Messages);
        Assert.Equal(0, sender.Attempts);
    }

    [Fact]
    public async Task Recording_sender_is_thread_safe()
    {
        var sender = new RecordingChannelSender();
        await Parallel.ForAsync(0, 200, async (i, ct) => await sender.SendAsync(MessageFactory.Create($"k{i}", $"m{i}"), ct));
        Assert.Equal(200, sender.Messages.Select(m => m.MessageId).Distinct().Count());
    }

    [Fact]
    public async Task Logging_sender_keeps_personal_data_at_debug()
    {
        var logger = new ListLogger<LoggingChannelSender>();
        var sender = new LoggingChannelSender(logger);
        Assert.Equal(SendResult.Sent, await sender.SendAsync(MessageFactory.Create(messageId: "msg-42"), default));

        var info = Assert.Single(logger.Entries, e => e.Level == LogLevel.Information);
        Assert.Contains("msg-42", info.Message, StringComparison.Ordinal);
        Assert.Contains("email", info.Message, StringComparison.Ordinal);
        Assert.Contains("c1", info.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ada@example.com", info.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Hello", info.Message, StringComparison.Ordinal);

        var debug = Assert.Single(logger.Entries, e => e.Level == LogLevel.Debug);
        Assert.Contains("ada@example.com", debug.Message, StringComparison.Ordinal);
        Assert.Contains("Hello", debug.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Null_sender_reports_sent()
    {
        Assert.Equal(SendResult.Sent, await NullChannelSender.Instance.SendAsync(MessageFactory.Create(), default));
    }
}
