namespace Journeys.Audiences;

/// <summary>How <see cref="IAudienceManager"/> treats customer input; set with <c>services.Configure&lt;AudienceOptions&gt;(...)</c>.</summary>
public sealed class AudienceOptions
{
    /// <summary>
    /// When true, a field that the schema does not have (in put customers, or a CSV column) is added to the schema as a
    /// <see cref="Model.FieldType.String"/> field instead of being refused. Default false.
    /// </summary>
    public bool AddUnknownFieldsAsStrings { get; set; }
}
