using System.Globalization;
using System.Text;
using FsCheck.Xunit;
using Journeys.Audiences;
using static Journeys.Tests.Audiences.AudienceHost;

namespace Journeys.Tests.Audiences;

public sealed class CsvImportProperties
{
    /// <summary>Pieces of awkward text: separators, quotes, line breaks, spaces, accents, CJK, emoji (surrogate pairs).</summary>
    private static readonly string[] Pieces = ["a", "Z", "9", ",", ";", "\t", "|x", "\"", "\"\"", "\r\n", "\n", "\r", " ", "é", "ñ", "日本", "😀", "=1+2", "'", "\\", "-", "#"];

    private static string Text(int[] indexes, bool forList)
    {
        var text = new StringBuilder("v");
        foreach (var i in indexes ?? [])
        {
            var piece = Pieces[Math.Abs(i % Pieces.Length)];
            text.Append(forList ? piece.Replace("|", "", StringComparison.Ordinal) : piece);
        }

        return text.ToString();
    }

    private static string Quote(string cell) => "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    [Property(MaxTest = 60)]
    public async Task Customers_written_to_csv_import_back_equal(int[][] names, double[] ages, bool[] flags, int separator, bool crlf, bool bom)
    {
        names ??= [];
        await using var host = await CreateAsync();
        var sep = new[] { ",", ";", "\t" }[Math.Abs(separator % 3)];
        var newline = crlf ? "\r\n" : "\n";
        var expected = new List<Customer>();
        var csv = new StringBuilder(string.Join(sep, "customerId", "firstName", "age", "vip", "birthDate", "tags")).Append(newline);
        for (var i = 0; i < names.Length; i++)
        {
            var id = "id" + Text(names[i], false) + "#" + i.ToString(CultureInfo.InvariantCulture) + "z";
            var name = Text(names[(i + 1) % names.Length], false);
            var age = ages is { Length: > 0 } && double.IsFinite(ages[i % ages.Length]) ? ages[i % ages.Length] : i;
            var vip = flags is { Length: > 0 } && flags[i % flags.Length];
            var birth = new DateTimeOffset(1950, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(i * 7919.123);
            string[] tags = [Text(names[i], true), "t" + i.ToString(CultureInfo.InvariantCulture)];
            expected.Add(new Customer(id, new Dictionary<string, FieldValue>
            {
                ["firstName"] = name,
                ["age"] = age,
                ["vip"] = vip,
                ["birthDate"] = birth,
                ["tags"] = FieldValue.FromStringList(tags),
            }));
            csv.Append(string.Join(sep,
                Quote(id),
                Quote(name),
                age.ToString("R", CultureInfo.InvariantCulture),
                vip ? "true" : "false",
                birth.ToString("O", CultureInfo.InvariantCulture),
                Quote(string.Join('|', tags)))).Append(newline);
        }

        var report = await host.Audience.ImportCsvAsync(Csv(csv.ToString(), bom));

        Assert.Equal((names.Length, names.Length), (report.RowsRead, report.Created));
        var stored = await host.AllCustomersAsync();
        Assert.Equal(expected.Count, stored.Count);
        foreach (var customer in expected)
        {
            var back = await host.Audience.GetCustomerAsync(customer.Id);
            Assert.NotNull(back);
            Assert.Equal(customer.Fields.OrderBy(f => f.Key, StringComparer.Ordinal), back.Fields.OrderBy(f => f.Key, StringComparer.Ordinal));
        }
    }

    [Property(MaxTest = 60)]
    public async Task An_all_or_nothing_import_that_reports_a_problem_leaves_the_store_unchanged(int[] rows, int badRow, int kind)
    {
        rows ??= [];
        await using var host = await CreateAsync();
        await host.Audience.PutCustomersAsync([
            new CustomerInput("id1", new Dictionary<string, object?> { ["age"] = 1, ["firstName"] = "before" }),
            new CustomerInput("id2", new Dictionary<string, object?> { ["vip"] = true }),
        ]);
        var before = await host.AllCustomersAsync();
        var lines = new List<string>();
        foreach (var r in rows)
        {
            lines.Add(FormattableString.Invariant($"id{Math.Abs(r % 50)}x{lines.Count},{r},name{r}"));
        }

        // One bad row somewhere: wrong count, empty id, bad number, or a duplicate.
        var at = lines.Count == 0 ? 0 : Math.Abs(badRow % (lines.Count + 1));
        var bad = Math.Abs(kind % 4) switch
        {
            0 => "id1,1",
            1 => " ,1,x",
            2 => "id1,one,x",
            _ => lines.Count > 0 ? lines[0] : "id1,1,\"a\"\n" + "id1,2,b",
        };
        lines.Insert(at, bad);
        var text = "customerId,age,firstName\n" + string.Join("\n", lines) + "\n";

        var refused = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(Csv(text)).AsTask());

        Assert.NotEmpty(refused.Problems);
        var after = await host.AllCustomersAsync();
        Assert.Equal(before.Select(c => (c.Id, string.Join(";", c.Fields.OrderBy(f => f.Key, StringComparer.Ordinal)))), after.Select(c => (c.Id, string.Join(";", c.Fields.OrderBy(f => f.Key, StringComparer.Ordinal)))));
    }
}
