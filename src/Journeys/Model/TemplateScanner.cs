namespace Journeys.Model;

/// <summary>
/// Splits a campaign template into literal text and <c>{{variable}}</c> placeholders. It is the one reading of a
/// template: <see cref="TemplateVariables"/> (a campaign's variables) and the compiled template (what a send renders)
/// both use it, so the variables a campaign lists are exactly those a send binds.
/// </summary>
/// <remarks>
/// <c>{{</c> opens a variable that runs to the next <c>}}</c>; its name is the text between, trimmed, with no brace in it. A backslash right
/// before <c>{{</c> (<c>\{{</c>) is an escape: the backslash is dropped and the <c>{{</c> is literal text that opens
/// nothing. It is the only escape: a backslash anywhere else is literal, itself included, so <c>\\{{name}}</c> is a
/// literal backslash followed by an escaped <c>{{</c> and reads as the text <c>\{{name}}</c>. <c>}}</c> outside a
/// variable is literal. An escape splits the literal text around it in two parts (the backslash is not copied).
/// </remarks>
internal ref struct TemplateScanner
{
    private readonly ReadOnlySpan<char> _template;
    private readonly string _campaignId;
    private readonly string _paramName;

    // The start of the text not returned yet, and where the next "{{" is looked for (past an escaped one).
    private int _position;
    private int _searchFrom;

    /// <summary>Starts a scan.</summary>
    /// <param name="template">The template.</param>
    /// <param name="campaignId">The campaign, named in the error of a malformed template.</param>
    /// <param name="paramName">The parameter the <see cref="ArgumentException"/> of a malformed template names.</param>
    public TemplateScanner(ReadOnlySpan<char> template, string campaignId, string paramName)
    {
        _template = template;
        _campaignId = campaignId;
        _paramName = paramName;
    }

    /// <summary>Whether the current part is a variable; otherwise it is literal text.</summary>
    public bool IsVariable { get; private set; }

    /// <summary>The current part: a piece of literal text (never empty), or a variable's trimmed name.</summary>
    public ReadOnlySpan<char> Text { get; private set; }

    /// <summary>Moves to the next part.</summary>
    /// <returns>False at the end of the template.</returns>
    /// <exception cref="ArgumentException">A <c>{{</c> has no closing <c>}}</c>, or a variable's name is empty or has a brace.</exception>
    public bool MoveNext()
    {
        var search = _searchFrom;
        while (_position < _template.Length)
        {
            var found = _template[search..].IndexOf("{{", StringComparison.Ordinal);
            if (found < 0)
            {
                return Literal(_template.Length, _template.Length, _template.Length);
            }

            var open = search + found;
            if (open > _position && _template[open - 1] == '\\')
            {
                // An escaped "{{" starts the next piece of literal text, after the text before its backslash.
                if (open - 1 > _position)
                {
                    return Literal(open - 1, open, open + 2);
                }

                _position = open;
                search = open + 2;
                continue;
            }

            if (open > _position)
            {
                return Literal(open, open, open);
            }

            var close = _template[(open + 2)..].IndexOf("}}", StringComparison.Ordinal);
            if (close < 0)
            {
                throw new ArgumentException($"Campaign '{_campaignId}': the template has '{{{{' at index {open} with no closing '}}}}'.", _paramName);
            }

            var name = _template.Slice(open + 2, close).Trim();
            if (name.IsEmpty)
            {
                throw new ArgumentException($"Campaign '{_campaignId}': the template has an empty variable '{{{{}}}}' at index {open}.", _paramName);
            }

            if (name.IndexOfAny('{', '}') >= 0)
            {
                // "{{{name}}}" would otherwise read as the variable "{name" and a stray "}", refused only for want of a binding.
                throw new ArgumentException(
                    $"Campaign '{_campaignId}': the template has a brace in the name of the variable '{name}' at index {open} (write '{{{{name}}}}': values are inserted as they are, so Handlebars' '{{{{{{name}}}}}}' has no use here).",
                    _paramName);
            }

            IsVariable = true;
            Text = name;
            _position = _searchFrom = open + 2 + close + 2;
            return true;
        }

        return false;
    }

    private bool Literal(int end, int next, int searchFrom)
    {
        IsVariable = false;
        Text = _template[_position..end];
        _position = next;
        _searchFrom = searchFrom;
        return true;
    }
}
