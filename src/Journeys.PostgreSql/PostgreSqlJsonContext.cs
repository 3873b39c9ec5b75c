using System.Text.Json.Serialization;

namespace Journeys.PostgreSql;

/// <summary>Source-generated JSON for the few plain shapes the store writes (trimming- and AOT-friendly).</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class PostgreSqlJsonContext : JsonSerializerContext;
