using System.Collections.Immutable;

namespace Journeys.Model;

/// <summary>
/// A campaign of the catalog: the message a send node delivers on a channel, with a template whose
/// variables (<c>{{name}}</c>) are filled from customer fields.
/// </summary>
public sealed record Campaign
{
    /// <summary>Creates a campaign.</summary>
    /// <param name="id">The campaign id that send nodes refer to.</param>
    /// <param name="channel">The channel it is sent on.</param>
    /// <param name="template">
    /// The message template; <c>{{variable}}</c> marks a variable, and <c>\{{</c> is a literal <c>{{</c> (the only escape;
    /// any other backslash is text).
    /// </param>
    /// <exception cref="ArgumentException">The id is empty or the template has an unclosed or empty <c>{{</c>.</exception>
    public Campaign(string id, Channel channel, string template)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(template);
        Id = id;
        Channel = channel;
        Template = template;
        Variables = TemplateVariables.Parse(template, id, nameof(template));
    }

    /// <summary>The campaign id.</summary>
    public string Id { get; }

    /// <summary>The channel it is sent on.</summary>
    public Channel Channel { get; }

    /// <summary>The message template.</summary>
    public string Template { get; }

    /// <summary>The distinct variable names of the template, in order of first use.</summary>
    public EquatableArray<string> Variables { get; }
}
