using System.Text;
using Journeys.Audiences;
using Journeys.Sendings;
using Journeys.Storage;
using Journeys.Tests.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Sendings;

public sealed class SendingCsvTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    private static MemoryStream Csv(string text) => new(Encoding.UTF8.GetBytes(text));

    private static SendingStatus Completed(EngineHost host, string sendingId)
    {
        SendingStatus? status = null;
        EngineHost.Eventually(
            () => (status = host.Sendings.GetAsync(sendingId).AsTask().GetAwaiter().GetResult())?.State == SendingState.Completed,
            $"sending {sendingId} completed");
        return status!;
    }

    [Fact]
    public async Task A_csv_sending_imports_the_customers_with_their_fields_and_sends_once_to_each_id()
    {
        await using var host = await EngineHost.StartAsync(Start);
        var file = "customerId;firstName;age\r\nnew-1;Ana;31\r\n c1@example.com ;Bo;40\r\nnew-2;\"Li; Jr\";22\r\n\r\n";

        var result = await host.Sendings.SendToCsvAsync(new SendingRequest("tips") { SendingId = "csv" }, new NonSeekableStream(Csv(file)));

        Assert.Equal(3, result.Import.RowsRead);
        Assert.Equal(2, result.Import.Created);
        Assert.Equal(1, result.Import.Updated);
        Assert.Equal(SendingAudience.List, result.Sending.Audience);
        var done = Completed(host, "csv");
        Assert.Equal(3, done.Progress.Enrolled);
        Assert.Equal(3, done.Progress.Sent);
        Assert.Equal(["c1@example.com", "new-1", "new-2"], host.Push.Messages.Select(m => m.CustomerId).Order(StringComparer.Ordinal));
        var created = await host.Services.GetRequiredService<ICustomerStore>().GetAsync("new-2");
        Assert.Equal("Li; Jr", created!.Fields["firstName"].AsString());
    }

    [Fact]
    public async Task A_csv_sending_with_a_bad_row_imports_nobody_sends_nothing_and_names_the_line_and_column()
    {
        await using var host = await EngineHost.StartAsync(Start);
        var file = "customerId,age\nnew-1,31\nnew-2,thirty\n";

        var error = await Assert.ThrowsAsync<CsvImportException>(async () =>
            await host.Sendings.SendToCsvAsync(new SendingRequest("tips") { SendingId = "bad" }, Csv(file)));

        var problem = Assert.Single(error.Problems);
        Assert.Equal(3, problem.Line);
        Assert.Equal("age", problem.Column);
        Assert.Null(await host.Services.GetRequiredService<ICustomerStore>().GetAsync("new-1"));
        Assert.Null(await host.Sendings.GetAsync("bad"));
        Assert.Empty(host.Push.Messages);
    }

    [Fact]
    public async Task In_import_valid_rows_mode_the_rejected_rows_get_no_message()
    {
        await using var host = await EngineHost.StartAsync(Start);
        var file = "customerId,age\nnew-1,31\nnew-2,thirty\n,5\nnew-3,7\n";

        var result = await host.Sendings.SendToCsvAsync(
            new SendingRequest("tips") { SendingId = "partial" },
            Csv(file),
            CsvImportOptions.Default with { Mode = CsvImportMode.ImportValidRows });

        Assert.Equal(2, result.Import.Rejected);
        Completed(host, "partial");
        Assert.Equal(["new-1", "new-3"], host.Push.Messages.Select(m => m.CustomerId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_csv_sending_of_an_unknown_campaign_is_refused_before_anything_is_imported()
    {
        await using var host = await EngineHost.StartAsync(Start);

        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await host.Sendings.SendToCsvAsync(new SendingRequest("no-such-campaign"), Csv("customerId\nnew-1\n")));

        Assert.Contains("no-such-campaign", error.Message, StringComparison.Ordinal);
        Assert.Null(await host.Services.GetRequiredService<ICustomerStore>().GetAsync("new-1"));
    }

    [Fact]
    public async Task A_csv_sending_with_an_unknown_time_zone_is_refused_naming_it_before_anything_is_imported()
    {
        await using var host = await EngineHost.StartAsync(Start);

        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await host.Sendings.SendToCsvAsync(new SendingRequest("tips") { SendingId = "zone", TimeZoneId = "Mars/Olympus_Mons" }, Csv("customerId\nnew-1\n")));

        Assert.Contains("Time zone 'Mars/Olympus_Mons' (TimeZoneId)", error.Message, StringComparison.Ordinal);
        Assert.Null(await host.Services.GetRequiredService<ICustomerStore>().GetAsync("new-1"));
        Assert.Null(await host.Sendings.GetAsync("zone"));
    }

    [Fact]
    public async Task A_csv_sending_whose_id_another_audience_uses_is_refused_before_anything_is_imported()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Sendings.SendToAllAsync(new SendingRequest("tips") { SendingId = "taken" });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await host.Sendings.SendToCsvAsync(new SendingRequest("tips") { SendingId = "taken" }, Csv("customerId\nnew-1\n")));

        Assert.Contains("'taken' already exists with another campaign or audience", error.Message, StringComparison.Ordinal);
        Assert.Null(await host.Services.GetRequiredService<ICustomerStore>().GetAsync("new-1"));
    }

    [Fact]
    public async Task A_csv_sending_with_an_invalid_sending_id_is_refused_before_anything_is_imported()
    {
        await using var host = await EngineHost.StartAsync(Start);

        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await host.Sendings.SendToCsvAsync(new SendingRequest("tips") { SendingId = new string('s', SendingJourneys.MaxSendingIdLength + 1) }, Csv("customerId\nnew-1\n")));

        Assert.Contains("is not valid: it must be 1 to 120 characters", error.Message, StringComparison.Ordinal);
        Assert.Null(await host.Services.GetRequiredService<ICustomerStore>().GetAsync("new-1"));
    }

    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
