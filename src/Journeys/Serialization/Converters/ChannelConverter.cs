using System.Text.Json;
using System.Text.Json.Serialization;
using Journeys.Model;

namespace Journeys.Serialization.Converters;

/// <summary>Reads and writes a <see cref="Channel"/> as its name (<c>email</c>, <c>push</c> or a custom name).</summary>
internal sealed class ChannelConverter : JsonConverter<Channel>
{
    public override Channel Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"A channel must be a name string such as 'email' or 'push', not {JsonTokens.Describe(reader.TokenType)}.");
        }

        var name = reader.GetString()!;
        try
        {
            return new Channel(name);
        }
        catch (ArgumentException)
        {
            throw new JsonException($"'{name}' is not a valid channel name: use a built-in channel (push, inapp, inweb, wallet, email, sms, whatsapp, telegram) or a custom name of ASCII letters, digits, '-', '_' and '.'.");
        }
    }

    public override void Write(Utf8JsonWriter writer, Channel value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Name);
}
