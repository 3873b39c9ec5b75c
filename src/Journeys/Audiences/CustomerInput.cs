namespace Journeys.Audiences;

/// <summary>
/// A customer as a JSON body or a host gives it: an id and raw field values, checked and converted to typed
/// <see cref="Model.FieldValue"/>s against the customer field schema by <see cref="IAudienceManager.PutCustomersAsync"/>.
/// </summary>
/// <param name="CustomerId">The customer id (not empty or whitespace).</param>
/// <param name="Fields">
/// Field values by name: <see langword="null"/> (clears the field); <see cref="string"/>; <see cref="bool"/>; any .NET
/// number; <see cref="DateTimeOffset"/> or <see cref="DateTime"/> (a <see cref="DateTimeKind.Unspecified"/> one is taken as UTC);
/// a sequence of strings; a <see cref="Model.FieldValue"/>; or a <see cref="System.Text.Json.JsonElement"/> (string, number,
/// true/false, null, array of strings). A date-time field also takes an ISO 8601 string, as JSON has no date type.
/// Fields not named keep their stored values.
/// </param>
/// <param name="TimeZoneId">The IANA time zone, or <see langword="null"/> to keep the stored one.</param>
public sealed record CustomerInput(string CustomerId, IReadOnlyDictionary<string, object?>? Fields = null, string? TimeZoneId = null);
