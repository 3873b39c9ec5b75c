using System.Text;
using System.Text.RegularExpressions;
using FsCheck.Xunit;
using Journeys.Messaging;

namespace Journeys.Tests.Messaging;

/// <summary>
/// A campaign's variables (<see cref="Campaign.Variables"/>) and its compiled template read a template the same way,
/// and as a regular expression reads it: random templates of literal text, escapes (<c>\{{</c>), variables, and the
/// stray braces and backslashes that may fall between them, valid or not.
/// </summary>
public sealed partial class TemplateProperties
{
    private static readonly CustomerFieldSchema Schema = CustomerFieldSchema.Create(new FieldDefinition("firstName", FieldType.String));

    private static readonly string[] Pieces =
    [
        "Hi ", "a", " ", "\n", "é😀", "\\", "\\\\", "{", "}", "}}", "\\}}", "\\{{", "\\{{", "\\{{",
        "{{v}}", "{{ w }}", "{{v}}", "{{x\ny}}", "{{", "{{ }}",
    ];

    /// <summary>The reference reading: at each place an escape or a variable (running to the first "}}" after its "{{").</summary>
    [GeneratedRegex(@"\\\{\{|\{\{(.*?)\}\}", RegexOptions.Singleline)]
    private static partial Regex EscapeOrVariable();

    [Property(MaxTest = 1000)]
    public void Campaign_variables_and_the_compiled_template_read_a_template_as_the_reference_does(int[] picks)
    {
        var template = string.Concat((picks ?? []).Select(static p => Pieces[(int)((uint)p % (uint)Pieces.Length)]));
        var (rendered, variables, error) = Read(template);
        if (error is not null)
        {
            var ex = Assert.Throws<ArgumentException>(() => new Campaign("c1", Channel.Sms, template));
            Assert.Equal($"Campaign 'c1': the template has {error}. (Parameter 'template')", ex.Message);
            return;
        }

        var campaign = new Campaign("c1", Channel.Sms, template);
        Assert.Equal(variables.Distinct(), campaign.Variables.AsImmutableArray());

        // Bound are the campaign's variables and no other: compiling refuses a variable without a binding.
        var compiled = CompiledTemplate.Compile(campaign, [.. campaign.Variables.Select(static v => new VariableBinding(v, "firstName", Value(v)))], Schema);
        Assert.True(compiled.TryRender([], out var body, out _));
        Assert.Equal(rendered, body);
    }

    private static string Value(string variable) => $"\u0001{variable}\u0002";

    private static (string Rendered, List<string> Variables, string? Error) Read(string template)
    {
        var rendered = new StringBuilder();
        var variables = new List<string>();
        var position = 0;
        foreach (Match part in EscapeOrVariable().Matches(template))
        {
            if (Unclosed(template, position, part.Index) is { } unclosed)
            {
                return ("", variables, unclosed);
            }

            rendered.Append(template, position, part.Index - position);
            if (!part.Groups[1].Success)
            {
                rendered.Append("{{");
            }
            else if (part.Groups[1].Value.Trim() is { Length: > 0 } braced && braced.IndexOfAny(['{', '}']) >= 0)
            {
                return ("", variables, $"a brace in the name of the variable '{braced}' at index {part.Index} (write '{{{{name}}}}': values are inserted as they are, so Handlebars' '{{{{{{name}}}}}}' has no use here)");
            }
            else if (part.Groups[1].Value.Trim() is { Length: > 0 } name)
            {
                rendered.Append(Value(name));
                variables.Add(name);
            }
            else
            {
                return ("", variables, $"an empty variable '{{{{}}}}' at index {part.Index}");
            }

            position = part.Index + part.Length;
        }

        return Unclosed(template, position, template.Length) is { } error ? ("", variables, error) : (rendered.Append(template, position, template.Length - position).ToString(), variables, null);
    }

    /// <summary>A "{{" in text between escapes and variables has no "}}" after it (else it would open a variable).</summary>
    private static string? Unclosed(string template, int start, int end)
    {
        var open = template.IndexOf("{{", start, end - start, StringComparison.Ordinal);
        return open < 0 ? null : $"'{{{{' at index {open} with no closing '}}}}'";
    }
}
