using System.Text;
using System.Text.Json;
using Journeys.Model;
using Journeys.PostgreSql;
using Journeys.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>
/// The stores' shared field codec (<see cref="FieldValueStoreJson"/>) keeps the bytes each store wrote before it
/// existed: SQLite's BLOB leaves null values out, PostgreSQL's text writes them as <c>["z", null]</c>. The expected
/// texts are what the stores' own writers produced; databases written then must read the same.
/// </summary>
public sealed class StoredFieldFormatTests
{
    private const string SqliteText = """{"name":["s","Garc\u00EDa"],"score":["n",1.5],"vip":["b",true],"seen":["d",638764128000000000],"tags":["l",["a","b"]]}""";

    private const string PostgreSqlText = """{"name":["s","Garc\u00EDa"],"score":["n",1.5],"vip":["b",true],"seen":["d",638764128000000000],"tags":["l",["a","b"]],"gone":["z",null]}""";

    private static readonly KeyValuePair<string, FieldValue>[] Fields =
    [
        KeyValuePair.Create("name", FieldValue.FromString("García")),
        KeyValuePair.Create("score", FieldValue.FromNumber(1.5)),
        KeyValuePair.Create("vip", FieldValue.FromBoolean(true)),
        KeyValuePair.Create("seen", FieldValue.FromDateTime(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.FromHours(1)))),
        KeyValuePair.Create("tags", FieldValue.FromStringList(["a", "b"])),
        KeyValuePair.Create("gone", FieldValue.Null),
    ];

    [Fact]
    public void The_SQLite_store_writes_the_same_bytes_as_before_leaving_nulls_out()
    {
        Assert.Equal(SqliteText, Encoding.UTF8.GetString(SqliteValues.Fields(Fields)));
    }

    [Fact]
    public void The_PostgreSQL_store_writes_the_same_text_as_before_with_nulls()
    {
        Assert.Equal(PostgreSqlText, FieldJson.Write(Fields));
    }

    [Fact]
    public void Both_stored_forms_read_back_every_value_and_type()
    {
        var fromSqlite = SqliteValues.Fields(Encoding.UTF8.GetBytes(SqliteText), StringComparer.OrdinalIgnoreCase);
        var fromPostgreSql = FieldJson.Read(PostgreSqlText, StringComparer.Ordinal);

        foreach (var (name, value) in Fields.Where(f => !f.Value.IsNull))
        {
            Assert.Equal(value, fromSqlite[name]);
            Assert.Equal(value, fromPostgreSql[name]);
        }

        Assert.Equal(TimeSpan.Zero, fromSqlite["seen"].AsDateTime().Offset);
        Assert.Equal(5, fromSqlite.Count);
        Assert.True(fromSqlite.ContainsKey("NAME"));
        Assert.Equal(FieldValue.Null, fromPostgreSql["gone"]);
        Assert.Equal(6, fromPostgreSql.Count);
    }

    [Fact]
    public void Whitespace_and_property_order_do_not_matter_when_reading()
    {
        var read = FieldValueStoreJson.Read("""{ "vip" : [ "b" , false ] ,"name": ["s", "x"] }""", StringComparer.Ordinal);

        Assert.Equal(FieldValue.FromBoolean(false), read["vip"]);
        Assert.Equal(FieldValue.FromString("x"), read["name"]);
    }

    [Theory]
    [InlineData("""{"a":["q",1]}""", "'a'")]
    [InlineData("""{"a":"s"}""", "'a'")]
    [InlineData("""{"a":["l",[1]]}""", "'a'")]
    [InlineData("""["s","x"]""", "stored fields")]
    [InlineData("""{"a":["s","x"]""", "not valid")]
    public void Malformed_stored_fields_are_a_format_error_naming_the_field(string json, string named)
    {
        var error = Assert.Throws<FormatException>(() => FieldValueStoreJson.Read(json, StringComparer.Ordinal));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""["s","x"]""", null)]
    [InlineData("""["n",1.5]""", null)]
    [InlineData("""["l",["a","b"]]""", null)]
    [InlineData("""["q",1]""", "unknown type tag")]
    [InlineData("""["s","x",1]""", "expected EndArray")]
    [InlineData("""["l",[1]]""", "list item")]
    [InlineData("""{"s":"x"}""", "not a [type, value] pair")]
    public void One_pair_is_read_where_a_reader_stands_or_refused_naming_the_field(string json, string? error)
    {
        FieldValue Read()
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            reader.Read();
            var value = FieldValueStoreJson.ReadField(ref reader, "city");
            Assert.Equal(JsonTokenType.EndArray, reader.TokenType);
            return value;
        }

        if (error is null)
        {
            var expected = FieldValueStoreJson.Read("{\"city\":" + json + "}", StringComparer.Ordinal)["city"];
            Assert.Equal(expected, Read());
            return;
        }

        var failure = Assert.Throws<FormatException>(() => Read());
        Assert.Contains("'city'", failure.Message, StringComparison.Ordinal);
        Assert.Contains(error, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_PostgreSQL_customer_document_with_appended_updates_reads_the_last_entry_per_name_under_its_later_spelling()
    {
        const string Appended = """{"plan":["s","free"],"city":["s","Bilbao"],"score":["n",1],"PLAN":["s","pro"],"city":["x",null],"score":["n",2],"zone":["x",null]}""";

        var read = FieldJson.ReadCustomer(Appended, StringComparer.OrdinalIgnoreCase);

        Assert.Equal(2, read.Count);
        Assert.Equal(FieldValue.FromString("pro"), read["plan"]);
        Assert.Equal("PLAN", read.Keys.Single(k => k.Equals("plan", StringComparison.OrdinalIgnoreCase)));
        Assert.Equal(FieldValue.FromNumber(2), read["score"]);
        Assert.False(read.ContainsKey("city"));
        // A customer's stored null ("gone": ["z", null]) is no field, as in the other stores; the rest reads as FieldJson.Read does.
        Assert.Equal(FieldJson.Read(PostgreSqlText, StringComparer.Ordinal).Remove("gone"), FieldJson.ReadCustomer(PostgreSqlText, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("""{"a":["x",1]}""", "'a'")]
    [InlineData("""{"a":["x",null,1]}""", "'a'")]
    [InlineData("""{"a":["q",1]}""", "'a'")]
    [InlineData("""{"a":["s","x"]""", "not valid")]
    [InlineData("""["s","x"]""", "stored fields")]
    public void A_malformed_PostgreSQL_customer_document_is_a_format_error_naming_the_field(string json, string named)
    {
        var error = Assert.Throws<FormatException>(() => FieldJson.ReadCustomer(json, StringComparer.Ordinal));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_customer_row_written_in_the_earlier_format_reads_the_same()
    {
        using var file = new SqliteTestFile();
        using (file.Open(new FakeTimeProvider()))
        {
        }

        using (var connection = file.Connect())
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO customers (customer_id, time_zone, fields) VALUES ('c1', 'Europe/Madrid', $fields)";
            insert.Parameters.AddWithValue("$fields", Encoding.UTF8.GetBytes(SqliteText));
            insert.ExecuteNonQuery();
        }

        using var database = file.Open(new FakeTimeProvider());
        var customer = await new SqliteCustomerStore(database).GetAsync("c1");

        Assert.NotNull(customer);
        Assert.Equal("Europe/Madrid", customer.TimeZoneId);
        Assert.Equal(FieldValue.FromString("García"), customer.GetField("Name"));
        Assert.Equal(FieldValue.FromStringList(["a", "b"]), customer.GetField("tags"));
        SqliteConnection.ClearAllPools();
    }
}
