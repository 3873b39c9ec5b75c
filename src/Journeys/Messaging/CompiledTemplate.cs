using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using Journeys.Model;

namespace Journeys.Messaging;

/// <summary>
/// A campaign template compiled against the field schema: literal segments and variable slots, so that rendering
/// for one customer does no parsing and no lookups, and allocates only the result string.
/// </summary>
internal sealed class CompiledTemplate
{
    private const int StackBufferSize = 512;

    private readonly Segment[] _segments;
    private readonly int _literalLength;

    /// <summary>Marks the customer field slots the template's variables read.</summary>
    /// <param name="reads">One flag per schema slot.</param>
    internal void MarkReadSlots(bool[] reads)
    {
        foreach (var segment in _segments)
        {
            if ((uint)segment.Slot < (uint)reads.Length)
            {
                reads[segment.Slot] = true;
            }
        }
    }

    private CompiledTemplate(string campaignId, Segment[] segments, int literalLength)
    {
        CampaignId = campaignId;
        _segments = segments;
        _literalLength = literalLength;
    }

    /// <summary>The campaign the template belongs to.</summary>
    public string CampaignId { get; }

    private int _notRenderedReported;

    /// <summary>
    /// True the first time it is called for this compiled template (one send of one journey version's node), false
    /// afterwards: a skip for a missing variable is a campaign's or a schema's problem that usually hits every customer
    /// who lacks the field, so it is reported once at Warning and then only at Debug (the counter counts every one).
    /// </summary>
    internal bool FirstNotRendered() => Interlocked.Exchange(ref _notRenderedReported, 1) == 0;

    /// <summary>Compiles a campaign's template with a send node's bindings.</summary>
    /// <exception cref="ArgumentException">A variable has no binding, or a binding names a field the schema does not have.</exception>
    public static CompiledTemplate Compile(Campaign campaign, CampaignReference reference, CustomerFieldSchema schema)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(schema);
        return Compile(campaign, reference.Variables.AsImmutableArray(), schema);
    }

    /// <summary>Compiles a campaign's template with the given bindings.</summary>
    /// <exception cref="ArgumentException">A variable has no binding, or a binding names a field the schema does not have.</exception>
    public static CompiledTemplate Compile(Campaign campaign, ImmutableArray<VariableBinding> bindings, CustomerFieldSchema schema)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(schema);
        var segments = new List<Segment>();
        string? literal = null;
        var literalLength = 0;

        // The campaign constructor has already refused unclosed and empty variables (with the same scanner).
        var scanner = new TemplateScanner(campaign.Template, campaign.Id, nameof(campaign));
        while (scanner.MoveNext())
        {
            if (!scanner.IsVariable)
            {
                // Literal text around an escaped "{{" comes in pieces (its backslash left out): one segment.
                literal = literal is null ? scanner.Text.ToString() : string.Concat(literal, scanner.Text);
                literalLength += scanner.Text.Length;
                continue;
            }

            if (literal is not null)
            {
                segments.Add(Segment.ForLiteral(literal));
                literal = null;
            }

            segments.Add(CompileVariable(campaign.Id, scanner.Text.ToString(), bindings, schema));
        }

        if (literal is not null)
        {
            segments.Add(Segment.ForLiteral(literal));
        }

        return new CompiledTemplate(campaign.Id, [.. segments], literalLength);
    }

    /// <summary>
    /// Renders the template for one customer. A variable whose field has no value takes the field's schema
    /// default, else the binding's default; when neither exists nothing is rendered and the variable is named.
    /// </summary>
    /// <param name="fields">The customer's field values, indexed by schema slot (missing slots count as null).</param>
    /// <param name="body">The rendered text.</param>
    /// <param name="missingVariable">The first variable that had no value and no default.</param>
    public bool TryRender(ReadOnlySpan<FieldValue> fields, out string body, out string? missingVariable)
    {
        // Check every variable before writing, so a customer with a missing value costs no allocation at all.
        foreach (var segment in _segments)
        {
            if (segment.Literal is null && Resolve(segment, fields).IsNull && segment.Default is null)
            {
                body = string.Empty;
                missingVariable = segment.Variable;
                return false;
            }
        }

        char[]? rented = null;
        var capacity = _literalLength + (_segments.Length * 16);
        var buffer = capacity <= StackBufferSize ? stackalloc char[StackBufferSize] : (rented = ArrayPool<char>.Shared.Rent(capacity));
        var length = 0;
        try
        {
            foreach (var segment in _segments)
            {
                if (segment.Literal is { } literal)
                {
                    Append(ref buffer, ref rented, ref length, literal);
                    continue;
                }

                var value = Resolve(segment, fields);
                if (value.IsNull)
                {
                    Append(ref buffer, ref rented, ref length, segment.Default!);
                }
                else
                {
                    AppendValue(ref buffer, ref rented, ref length, value);
                }
            }

            body = new string(buffer[..length]);
            missingVariable = null;
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static FieldValue Resolve(in Segment segment, ReadOnlySpan<FieldValue> fields)
    {
        var value = (uint)segment.Slot < (uint)fields.Length ? fields[segment.Slot] : FieldValue.Null;
        return value.IsNull ? segment.SchemaDefault : value;
    }

    private static Segment CompileVariable(string campaignId, string name, ImmutableArray<VariableBinding> bindings, CustomerFieldSchema schema)
    {
        VariableBinding? binding = null;
        foreach (var candidate in bindings)
        {
            if (candidate is not null && string.Equals(candidate.Variable, name, StringComparison.Ordinal))
            {
                binding = candidate;
                break;
            }
        }

        if (binding is null)
        {
            throw new ArgumentException($"Campaign '{campaignId}': template variable '{name}' has no binding to a customer field.", nameof(bindings));
        }

        if (!schema.TryGetField(binding.Field, out var field))
        {
            throw new ArgumentException($"Campaign '{campaignId}': template variable '{name}' is bound to field '{binding.Field}', which the customer field schema does not have.", nameof(bindings));
        }

        return Segment.ForVariable(name, schema.GetSlot(field.Name), binding.Default, field.Default);
    }

    private static void AppendValue(ref Span<char> buffer, ref char[]? rented, ref int length, FieldValue value)
    {
        switch (value.Type)
        {
            case FieldType.String:
                Append(ref buffer, ref rented, ref length, value.AsString());
                break;
            case FieldType.Boolean:
                Append(ref buffer, ref rented, ref length, value.AsBoolean() ? "true" : "false");
                break;
            case FieldType.Number:
            {
                var number = value.AsNumber();
                int written;
                if (IsSmallInteger(number))
                {
                    // Counts, points, ages: the digits a double prints for them, without the floating-point formatter.
                    var integer = (long)number;
                    while (!integer.TryFormat(buffer[length..], out written, default, CultureInfo.InvariantCulture))
                    {
                        Grow(ref buffer, ref rented, length, 32);
                    }
                }
                else
                {
                    while (!number.TryFormat(buffer[length..], out written, default, CultureInfo.InvariantCulture))
                    {
                        Grow(ref buffer, ref rented, length, 32);
                    }
                }

                length += written;
                break;
            }

            case FieldType.DateTime:
            {
                // ISO 8601 in UTC; whole seconds without a fraction, which reads better in a message.
                var instant = value.AsDateTime().UtcDateTime;
                var format = instant.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'" : "O";
                int written;
                while (!instant.TryFormat(buffer[length..], out written, format, CultureInfo.InvariantCulture))
                {
                    Grow(ref buffer, ref rented, length, 40);
                }

                length += written;
                break;
            }

            case FieldType.StringList:
            {
                var first = true;
                foreach (var item in value.AsStringList())
                {
                    if (!first)
                    {
                        Append(ref buffer, ref rented, ref length, ", ");
                    }

                    Append(ref buffer, ref rented, ref length, item);
                    first = false;
                }

                break;
            }
        }
    }

    private static void Append(ref Span<char> buffer, ref char[]? rented, ref int length, string text)
    {
        if (length + text.Length > buffer.Length)
        {
            Grow(ref buffer, ref rented, length, text.Length);
        }

        text.CopyTo(buffer[length..]);
        length += text.Length;
    }

    private static void Grow(ref Span<char> buffer, ref char[]? rented, int length, int needed)
    {
        var next = ArrayPool<char>.Shared.Rent(Math.Max(buffer.Length * 2, length + needed));
        buffer[..length].CopyTo(next);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        rented = next;
        buffer = next;
    }

    private readonly record struct Segment(string? Literal, string? Variable, int Slot, string? Default, FieldValue SchemaDefault)
    {
        public static Segment ForLiteral(string text) => new(text, null, -1, null, FieldValue.Null);

        public static Segment ForVariable(string name, int slot, string? @default, FieldValue schemaDefault) =>
            new(null, name, slot, @default, schemaDefault);
    }

    /// <summary>
    /// Whether a double prints exactly as the integer it holds: whole, below 10^15 in magnitude (from there on the
    /// shortest round-trip form switches to an exponent) and not negative zero (which prints "-0").
    /// </summary>
    internal static bool IsSmallInteger(double number) =>
        Math.Abs(number) < 1e15 && number == Math.Truncate(number) && !(number == 0 && double.IsNegative(number));
}
