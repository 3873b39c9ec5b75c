using System.Globalization;
using Journeys.Model;

namespace Journeys.Validation;

/// <summary>
/// One validation pass. Every check tolerates nulls and out-of-range values (records can hold them despite their
/// annotations, such as after deserialisation), reports them as diagnostics and moves on.
/// </summary>
internal sealed partial class ValidationRun
{
    private readonly List<JourneyDiagnostic> _diagnostics = [];
    private readonly CustomerFieldSchema? _schema;
    private readonly CampaignCatalog? _catalog;
    private readonly JourneyValidationOptions _options;

    public ValidationRun(CustomerFieldSchema? schema, CampaignCatalog? catalog, JourneyValidationOptions options)
    {
        _schema = schema;
        _catalog = catalog;
        _options = options;
    }

    public ValidationResult Run(JourneyDefinition? journey)
    {
        if (journey is null)
        {
            Error(DiagnosticCodes.MissingJourney, null, null, "No journey was given to validate.");
        }

        if (_schema is null)
        {
            Error(DiagnosticCodes.MissingSchema, null, null, "No customer field schema was given: conditions, variable bindings and field updates cannot be checked.");
        }
        else
        {
            CheckSchema(_schema);
        }

        if (_catalog is null)
        {
            Error(DiagnosticCodes.MissingCatalog, null, null, "No campaign catalog was given: the campaigns of send nodes and reminders cannot be checked.");
        }

        if (journey is null)
        {
            return new ValidationResult(_diagnostics.ToEquatableArray());
        }

        CheckJourney(journey);
        CheckEntry(journey.Entry);
        CheckEntryRules(journey.EntryRules);
        CheckExitRules(journey.ExitRules);
        var graph = JourneyGraph.Build(journey.Nodes.AsImmutableArray());
        CheckNodeIds(graph);
        for (var i = 0; i < graph.Nodes.Length; i++)
        {
            if (graph.Nodes[i] is { } node)
            {
                CheckNode(graph, i, node);
            }
        }

        CheckGraph(graph, journey.StartNodeId);
        return new ValidationResult(_diagnostics.ToEquatableArray(), journey.Id);
    }

    private void CheckSchema(CustomerFieldSchema schema)
    {
        foreach (var field in schema.Fields)
        {
            if (field is not null && !Enum.IsDefined(field.Type))
            {
                Error(DiagnosticCodes.InvalidEnumValue, null, "schema", $"Customer field '{field.Name}' has an unknown type ({Number((int)field.Type)}).");
            }
        }
    }

    private void CheckJourney(JourneyDefinition journey)
    {
        if (string.IsNullOrWhiteSpace(journey.Id))
        {
            Error(DiagnosticCodes.MissingJourneyId, null, "id", "The journey has no id.");
        }
        else if (IdLimits.IsStoredJourneyIdTooLong(journey.Id))
        {
            // A sending made before the sending id limit (up to 200) is compiled to run and resume; a new one cannot be
            // made (SendingManager), and no other journey can have a sending's id (JourneyManager).
            Error(DiagnosticCodes.InvalidJourneyId, null, "id", $"The journey id {IdLimits.StoredJourneyIdTooLong(journey.Id)}.");
        }

        if (string.IsNullOrWhiteSpace(journey.Name))
        {
            Error(DiagnosticCodes.MissingJourneyName, null, "name", "The journey has no name.");
        }

        if (journey.Version < 1)
        {
            Error(DiagnosticCodes.InvalidVersion, null, "version", $"The journey's version is {Number(journey.Version)}; versions start at 1.");
        }

        if (!Enum.IsDefined(journey.Status))
        {
            Error(DiagnosticCodes.InvalidEnumValue, null, "status", $"The journey's status ({Number((int)journey.Status)}) is not a known status.");
        }

        if (string.IsNullOrWhiteSpace(journey.TimeZoneId))
        {
            Error(DiagnosticCodes.UnknownTimeZone, null, "timeZoneId", "The journey has no time zone; use an IANA time zone such as 'Europe/Madrid' or 'UTC'.");
        }
        else if (!TimeZoneInfo.TryFindSystemTimeZoneById(journey.TimeZoneId, out _))
        {
            Error(DiagnosticCodes.UnknownTimeZone, null, "timeZoneId", $"The journey's time zone '{journey.TimeZoneId}' is not a known time zone; use an IANA time zone such as 'Europe/Madrid' or 'UTC'.");
        }
    }

    private void Error(string code, string? nodeId, string? path, string message) =>
        _diagnostics.Add(new JourneyDiagnostic(code, DiagnosticSeverity.Error, nodeId, message, path));

    private void Warning(string code, string? nodeId, string? path, string message) =>
        _diagnostics.Add(new JourneyDiagnostic(code, DiagnosticSeverity.Warning, nodeId, message, path));

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A duration as a marketer reads it, such as <c>2 days 3 hours</c> or <c>-1 hour</c>.</summary>
    private static string Duration(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0 seconds";
        }

        if (value == TimeSpan.MinValue)
        {
            // Cannot be negated.
            return value.ToString("c", CultureInfo.InvariantCulture);
        }

        var magnitude = value < TimeSpan.Zero ? value.Negate() : value;
        var text = new System.Text.StringBuilder(value < TimeSpan.Zero ? "-" : string.Empty);
        AppendPart(text, magnitude.Days, "day");
        AppendPart(text, magnitude.Hours, "hour");
        AppendPart(text, magnitude.Minutes, "minute");
        AppendPart(text, magnitude.Seconds, "second");
        AppendPart(text, magnitude.Milliseconds, "millisecond");
        if (text.Length <= 1)
        {
            // Less than a millisecond.
            return value.ToString("c", CultureInfo.InvariantCulture);
        }

        return text.ToString();

        static void AppendPart(System.Text.StringBuilder text, int amount, string unit)
        {
            if (amount == 0)
            {
                return;
            }

            if (text.Length > 0 && text[^1] != '-')
            {
                text.Append(' ');
            }

            text.Append(amount.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(unit);
            if (amount != 1)
            {
                text.Append('s');
            }
        }
    }

    /// <summary>
    /// Finds a customer field, reporting an empty name or a field the schema lacks. Returns <see langword="null"/> when
    /// the field cannot be used, and also (silently) when there is no schema, which is reported once.
    /// </summary>
    private FieldDefinition? ResolveField(string? name, string? nodeId, string path, string subject, string role)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            Error(DiagnosticCodes.MissingFieldName, nodeId, path, $"{subject}: the {role} names no customer field.");
            return null;
        }

        if (_schema is null)
        {
            return null;
        }

        if (!_schema.TryGetField(name, out var field))
        {
            Error(DiagnosticCodes.UnknownField, nodeId, path, $"{subject}: the {role} uses the customer field '{name}', which is not in the customer field schema.");
            return null;
        }

        return field;
    }
}
