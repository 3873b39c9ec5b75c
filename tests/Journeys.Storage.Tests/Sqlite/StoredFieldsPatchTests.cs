using System.Collections.Immutable;
using System.Text;
using Journeys.Sqlite;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>
/// The commit's customer field updates patch the stored bytes (<see cref="StoredFieldsPatch"/>) instead of decoding,
/// applying and encoding: the result must read back exactly as the reference does (decode, apply each update in order
/// with the case-insensitive dictionary, encode).
/// </summary>
public sealed class StoredFieldsPatchTests
{
    private static readonly string[] Names = ["name", "Name", "NAME", "score", "vip", "seen", "tags", "García", "segment"];

    [Fact]
    public void Replaces_in_place_removes_nulls_and_appends_new_fields()
    {
        var stored = Encoding.UTF8.GetBytes("""{"name":["s","Garc\u00EDa"],"score":["n",1.5],"vip":["b",true]}""");
        using var patch = new StoredFieldsPatch();
        patch.Add(new CustomerFieldUpdate("c", "SCORE", FieldValue.FromNumber(2)));
        patch.Add(new CustomerFieldUpdate("c", "vip", FieldValue.Null));
        patch.Add(new CustomerFieldUpdate("c", "segment", FieldValue.FromString("welcomed")));

        var patched = Encoding.UTF8.GetString(patch.Apply(stored));

        Assert.Equal("""{"name":["s","Garc\u00EDa"],"SCORE":["n",2],"segment":["s","welcomed"]}""", patched);
    }

    [Fact]
    public void Names_stored_unescaped_or_escaped_match_ignoring_case_and_kept_ones_are_copied_as_stored()
    {
        // Raw UTF-8 and escaped non-ASCII names take the decoding path, plain ASCII names the byte comparison.
        var stored = Encoding.UTF8.GetBytes("{\"García\":[\"s\",\"x\"],\"NAME\":[\"s\",\"y\"],\"Stra\\u00DFe\":[\"n\",1],\"kept\":[\"b\",true]}");
        using var patch = new StoredFieldsPatch();
        patch.Add(new CustomerFieldUpdate("c", "GARCÍA", FieldValue.FromString("z")));
        patch.Add(new CustomerFieldUpdate("c", "name", FieldValue.Null));
        patch.Add(new CustomerFieldUpdate("c", "STRASSE", FieldValue.FromNumber(2)));
        patch.Add(new CustomerFieldUpdate("c", "straße", FieldValue.FromNumber(1)));

        var patched = Encoding.UTF8.GetString(patch.Apply(stored));

        Assert.Equal("{\"GARC\\u00CDA\":[\"s\",\"z\"],\"Stra\\u00DFe\":[\"n\",1],\"kept\":[\"b\",true],\"STRASSE\":[\"n\",2]}", patched);
    }

    [Fact]
    public void A_new_customer_gets_only_the_non_null_updates()
    {
        using var patch = new StoredFieldsPatch();
        patch.Add(new CustomerFieldUpdate("c", "a", FieldValue.FromString("x")));
        patch.Add(new CustomerFieldUpdate("c", "b", FieldValue.Null));

        Assert.Equal("""{"a":["s","x"]}""", Encoding.UTF8.GetString(patch.Apply(default)));
    }

    [Fact]
    public void A_stored_document_that_is_not_an_object_is_a_format_error()
    {
        using var patch = new StoredFieldsPatch();
        patch.Add(new CustomerFieldUpdate("c", "a", FieldValue.FromString("x")));

        Assert.Throws<FormatException>(() => patch.Apply("""["a"]"""u8));
        Assert.Throws<FormatException>(() => patch.Apply("""{"a":["s","x"]"""u8));
    }

    [Fact]
    public void Random_documents_and_updates_read_back_as_the_reference_applies_them()
    {
        var random = new Random(20261129);
        using var patch = new StoredFieldsPatch();
        for (var run = 0; run < 2_000; run++)
        {
            var fields = ImmutableDictionary.CreateBuilder<string, FieldValue>(StringComparer.OrdinalIgnoreCase);
            for (var i = random.Next(6); i > 0; i--)
            {
                fields[Names[random.Next(Names.Length)]] = RandomValue(random, allowNull: false);
            }

            var exists = random.Next(5) > 0;
            var stored = exists ? FieldValueStoreJson.WriteUtf8(fields, writeNulls: false) : null;
            var expected = exists ? fields.ToImmutable() : ImmutableDictionary.Create<string, FieldValue>(StringComparer.OrdinalIgnoreCase);
            patch.Clear();
            for (var i = 1 + random.Next(4); i > 0; i--)
            {
                var update = new CustomerFieldUpdate("c", Names[random.Next(Names.Length)], RandomValue(random, allowNull: true));
                patch.Add(update);
                expected = update.Value.IsNull ? expected.Remove(update.Field) : expected.SetItem(update.Field, update.Value);
            }

            var patched = patch.Apply(stored);
            var actual = FieldValueStoreJson.Read(patched, StringComparer.OrdinalIgnoreCase);

            Assert.Equal(expected.Count, actual.Count);
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, value) in expected)
            {
                Assert.Equal(value, actual[name]);
            }

            // The bytes are a single JSON object with each name once (case-insensitively), as the reference writes.
            Assert.Equal(actual.Count, CountProperties(patched));
        }
    }

    private static int CountProperties(ReadOnlySpan<byte> json)
    {
        var reader = new System.Text.Json.Utf8JsonReader(json);
        reader.Read();
        var count = 0;
        while (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
        {
            count++;
            reader.Read();
            reader.Skip();
        }

        return count;
    }

    private static FieldValue RandomValue(Random random, bool allowNull) => random.Next(allowNull ? 6 : 5) switch
    {
        0 => FieldValue.FromString(random.Next(2) == 0 ? "García \"quoted\"" : "plain"),
        1 => FieldValue.FromNumber(random.NextDouble() * 1000),
        2 => FieldValue.FromBoolean(random.Next(2) == 0),
        3 => FieldValue.FromDateTime(new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks), TimeSpan.Zero)),
        4 => FieldValue.FromStringList(["a", "b\u00E9"]),
        _ => FieldValue.Null,
    };
}
