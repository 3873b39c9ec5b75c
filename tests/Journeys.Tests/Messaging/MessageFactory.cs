using Journeys.Messaging;

namespace Journeys.Tests.Messaging;

public static class MessageFactory
{
    public static OutboundMessage Create(string key = "j1:1:e1:n1:1", string messageId = "m1") =>
        new(messageId, key, Channel.Email, "c1", "ada@example.com", "Hello", "j1", 1, "n1");
}
