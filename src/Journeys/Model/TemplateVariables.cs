using System.Collections.Immutable;

namespace Journeys.Model;

/// <summary>Finds the <c>{{variable}}</c> names of a template (see <see cref="TemplateScanner"/>, which reads it).</summary>
internal static class TemplateVariables
{
    public static EquatableArray<string> Parse(string template, string campaignId, string paramName)
    {
        var names = ImmutableArray.CreateBuilder<string>();
        var scanner = new TemplateScanner(template, campaignId, paramName);
        while (scanner.MoveNext())
        {
            if (!scanner.IsVariable)
            {
                continue;
            }

            var name = scanner.Text.ToString();
            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }

        return names.ToImmutable();
    }
}
