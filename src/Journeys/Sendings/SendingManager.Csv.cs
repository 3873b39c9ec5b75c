using System.Runtime.CompilerServices;
using Journeys.Audiences;
using Journeys.Model;
using Journeys.Runtime;

namespace Journeys.Sendings;

/// <content>Sendings to the customers of a CSV file: import (all or nothing), then a list sending over the file's ids.</content>
internal sealed partial class SendingManager
{
    public async ValueTask<CsvSendingResult> SendToCsvAsync(SendingRequest request, Stream csv, CsvImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.CampaignId, nameof(request));
        options ??= CsvImportOptions.Default;
        options.Validate();
        EnsureValidSendingId(request);
        if (!compiled.Campaigns.TryGet(request.CampaignId, out var campaign))
        {
            throw new ArgumentException($"Campaign '{request.CampaignId}' is not in the campaign catalog (AddJourneys(j => j.AddCampaigns(...))).", nameof(request));
        }

        EnsureKnownTimeZone(request);

        // The sending id is fixed before anything is written, so the check below compiles exactly what will be sent.
        request = request with { SendingId = request.SendingId ?? Guid.CreateVersion7(time.GetUtcNow()).ToString("N") };

        // Check the request before importing, so a sending that cannot go out writes no customer. Compiled outside the
        // cache: a sending of that id may already run with another definition (refused below, by the list sending).
        var schema = await customers.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        var check = Define(request.SendingId!, request, campaign, SendingAudience.List);
        JourneyCompiler.Compile(check, schema, compiled.Campaigns);

        // An id another campaign or audience has is refused by the list sending too, but only after the import: refused here, before.
        if (await journeys.GetAsync(check.Id, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            EnsureSame(existing.Journey, check, request.SendingId!);
        }
        else
        {
            EnsureNewSendingId(request.SendingId!);
            await RefuseDeletedSendingIdAsync(check.Id, request.SendingId!, cancellationToken).ConfigureAwait(false);
        }

        var spool = await CsvSpool.OpenReplayableAsync(csv, "sending", cancellationToken).ConfigureAwait(false);
        await using (spool.ConfigureAwait(false))
        {
            var import = await audiences.ImportCsvAsync(spool.Source, options, cancellationToken).ConfigureAwait(false);
            spool.Rewind();
            var imported = await customers.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
            var status = await SendToListAsync(request, ValidIdsAsync(spool.Source, imported, options, cancellationToken), cancellationToken).ConfigureAwait(false);
            return new CsvSendingResult(import, status);
        }
    }

    // The ids of the rows the import accepted: the file read again, with the same options, against the schema the import
    // left (fields it added are known now), so a row is valid here exactly when the import took it.
    private static async IAsyncEnumerable<string> ValidIdsAsync(Stream source, CustomerFieldSchema schema, CsvImportOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = CustomerCsvReader.Create(source, schema, options, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var row = reader.Current;
                if (row.IsValid && row.CustomerId is { } id)
                {
                    yield return id;
                }
            }
        }
    }
}
