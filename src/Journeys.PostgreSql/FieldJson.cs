using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.PostgreSql;

/// <summary>
/// Customer fields and event properties in the stores' shared typed JSON form (<see cref="FieldValueStoreJson"/>),
/// as text; the PostgreSQL store writes null values too (<c>["z", null]</c>).
/// </summary>
internal static class FieldJson
{
    public static string Write(IEnumerable<KeyValuePair<string, FieldValue>> fields) => FieldValueStoreJson.Write(fields, writeNulls: true);

    public static ImmutableDictionary<string, FieldValue> Read(string json, StringComparer comparer) => FieldValueStoreJson.Read(json, comparer);
}
