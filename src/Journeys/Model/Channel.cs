namespace Journeys.Model;

/// <summary>
/// A message channel: one of the built-in ones (<see cref="Push"/>, <see cref="InApp"/>, <see cref="InWeb"/>,
/// <see cref="Wallet"/>, <see cref="Email"/>, <see cref="Sms"/>, <see cref="WhatsApp"/>, <see cref="Telegram"/>)
/// or a custom name the host app registers a sender for. Built-in names are matched case-insensitively.
/// </summary>
public readonly record struct Channel
{
    private static readonly string[] BuiltInNames = ["push", "inapp", "inweb", "wallet", "email", "sms", "whatsapp", "telegram"];

    /// <summary>Creates a channel; a built-in name in any casing becomes its canonical lower-case name.</summary>
    /// <param name="name">The channel name: letters, digits, '-', '_' or '.'.</param>
    /// <exception cref="ArgumentException">The name is empty or has other characters.</exception>
    public Channel(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_' and not '.')
            {
                throw new ArgumentException($"Channel name '{name}' may only contain ASCII letters, digits, '-', '_' and '.'.", nameof(name));
            }
        }

        foreach (var builtIn in BuiltInNames)
        {
            if (string.Equals(builtIn, name, StringComparison.OrdinalIgnoreCase))
            {
                name = builtIn;
                break;
            }
        }

        Name = name;
    }

    /// <summary>Mobile push notifications.</summary>
    public static Channel Push { get; } = new("push");

    /// <summary>In-app messages.</summary>
    public static Channel InApp { get; } = new("inapp");

    /// <summary>In-web (browser) messages.</summary>
    public static Channel InWeb { get; } = new("inweb");

    /// <summary>Wallet passes.</summary>
    public static Channel Wallet { get; } = new("wallet");

    /// <summary>E-mail.</summary>
    public static Channel Email { get; } = new("email");

    /// <summary>SMS.</summary>
    public static Channel Sms { get; } = new("sms");

    /// <summary>WhatsApp.</summary>
    public static Channel WhatsApp { get; } = new("whatsapp");

    /// <summary>Telegram.</summary>
    public static Channel Telegram { get; } = new("telegram");

    /// <summary>The channel's name (canonical lower case for built-in channels).</summary>
    public string Name { get => field ?? string.Empty; }

    /// <summary>True for the eight built-in channels.</summary>
    public bool IsBuiltIn => Array.IndexOf(BuiltInNames, Name) >= 0;

    /// <inheritdoc />
    public override string ToString() => Name;
}
