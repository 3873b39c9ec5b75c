using System.Text;

namespace Journeys.PostgreSql;

/// <summary>
/// An outbox message's body as the <c>text</c> column holds it. PostgreSQL text cannot hold the character U+0000, which
/// a body can carry (a template fills in customer fields as they are, and a field may hold it): such a body, and one
/// that starts with the marker U+FFFF (a noncharacter), is stored as the marker followed by the body with each U+0000
/// written as marker + <c>'0'</c> and each marker doubled. Any other body, nearly all of them, is stored as it is.
/// </summary>
internal static class OutboxBodyText
{
    private const char Marker = '\uFFFF';

    /// <summary>The stored form of <paramref name="body"/>.</summary>
    public static string Encode(string body)
    {
        if (body.Length == 0 || (body[0] != Marker && !body.Contains('\0', StringComparison.Ordinal)))
        {
            return body;
        }

        var stored = new StringBuilder(body.Length + 8).Append(Marker);
        foreach (var c in body)
        {
            _ = c switch
            {
                '\0' => stored.Append(Marker).Append('0'),
                Marker => stored.Append(Marker).Append(Marker),
                _ => stored.Append(c),
            };
        }

        return stored.ToString();
    }

    /// <summary>The body of the stored form <paramref name="stored"/> (<see cref="Encode"/> reversed).</summary>
    public static string Decode(string stored)
    {
        if (stored.Length == 0 || stored[0] != Marker)
        {
            return stored;
        }

        var body = new StringBuilder(stored.Length);
        for (var i = 1; i < stored.Length; i++)
        {
            var c = stored[i];
            if (c == Marker && i + 1 < stored.Length && stored[i + 1] is '0' or Marker)
            {
                i++;
                body.Append(stored[i] == '0' ? '\0' : Marker);
            }
            else
            {
                body.Append(c);
            }
        }

        return body.ToString();
    }
}
