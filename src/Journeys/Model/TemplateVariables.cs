using System.Collections.Immutable;

namespace Journeys.Model;

/// <summary>Finds the <c>{{variable}}</c> names of a template.</summary>
internal static class TemplateVariables
{
    public static EquatableArray<string> Parse(string template, string campaignId, string paramName)
    {
        var names = ImmutableArray.CreateBuilder<string>();
        var span = template.AsSpan();
        var position = 0;
        while (true)
        {
            var open = span[position..].IndexOf("{{", StringComparison.Ordinal);
            if (open < 0)
            {
                break;
            }

            open += position;
            var close = span[(open + 2)..].IndexOf("}}", StringComparison.Ordinal);
            if (close < 0)
            {
                throw new ArgumentException($"Campaign '{campaignId}': the template has '{{{{' at index {open} with no closing '}}}}'.", paramName);
            }

            var name = span.Slice(open + 2, close).Trim().ToString();
            if (name.Length == 0)
            {
                throw new ArgumentException($"Campaign '{campaignId}': the template has an empty variable '{{{{}}}}' at index {open}.", paramName);
            }

            if (!names.Contains(name))
            {
                names.Add(name);
            }

            position = open + 2 + close + 2;
        }

        return names.ToImmutable();
    }
}
