using Journeys.Audiences;
using Journeys.Tests.Building;
using static Journeys.Tests.Audiences.AudienceHost;

namespace Journeys.Tests.Audiences;

public sealed class CustomerCsvReaderTests
{
    [Fact]
    public async Task The_public_reader_gives_ids_fields_and_row_problems_in_order()
    {
        await using var reader = CustomerCsvReader.Create(
            Csv("Name;CUSTOMERID;age;vip\nAna;  a1 ;31;yes\nBob;b2;old;no\n\n"),
            SampleJourneys.Schema,
            new CsvImportOptions { UnknownColumns = UnknownColumnHandling.Ignore });

        Assert.True(await reader.ReadAsync());
        var first = reader.Current;
        Assert.Equal((2L, "a1", true), (first.Line, first.CustomerId, first.IsValid));
        Assert.Equal(31d, first.Fields["age"].AsNumber());
        Assert.True(first.Fields["VIP"].AsBoolean());
        Assert.False(first.Fields.ContainsKey("Name"));
        Assert.Equal(';', reader.Separator);
        Assert.Equal(["Name", "CUSTOMERID", "age", "vip"], reader.Headers);

        Assert.True(await reader.ReadAsync());
        var second = reader.Current;
        Assert.Equal(("b2", false), (second.CustomerId, second.IsValid));
        Assert.Equal((3L, "age"), (second.Problems[0].Line, second.Problems[0].Column));

        Assert.False(await reader.ReadAsync());
        Assert.Equal(2, reader.RowsRead);
        Assert.Throws<InvalidOperationException>(() => reader.Current);
    }

    [Fact]
    public async Task Header_problems_are_reported_together()
    {
        await using var reader = CustomerCsvReader.Create(Csv("age,,age,shoe\n1,2,3,4\n"), SampleJourneys.Schema);
        var refused = await Assert.ThrowsAsync<CsvImportException>(() => reader.ReadAsync().AsTask());
        Assert.Equal(4, refused.Problems.Count);
        Assert.Contains("no customerId column", refused.Problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("column 2", refused.Problems[1].Message, StringComparison.Ordinal);
        Assert.Equal("age", refused.Problems[2].Column);
        Assert.Contains("'shoe'", refused.Problems[3].Message, StringComparison.Ordinal);
    }
}
