using CsvHelper;
using Journeys.Model;
using Journeys.Storage;

namespace Journeys.Statistics;

/// <summary>The <see cref="IJourneyExporter"/> over the journey and enrollment stores, written with CsvHelper's <see cref="CsvWriter"/>.</summary>
internal sealed class JourneyCsvExporter(IJourneyStore journeys, IEnrollmentStore enrollments) : IJourneyExporter
{
    /// <summary>The header row.</summary>
    public static readonly string[] Header =
        ["customerId", "version", "nodeReached", "status", "endReason", "sent", "clicked", "converted", "enteredAt", "updatedAt", "endedAt"];

    // CsvHelper's injection guard covers text cells only: numbers and dates cannot start a formula.
    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        Injection = CsvInjection.Escape,
        TrueValue = "true",
        FalseValue = "false",
    };

    public async ValueTask<long> WriteCustomersCsvAsync(string journeyId, int? version, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(journeyId);
        ArgumentNullException.ThrowIfNull(destination);
        if (version is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "A journey version is 1 or more (or null for every version).");
        }

        // The journey manager's refusal of an unknown (or deleted) id, word for word.
        _ = await journeys.RequireAsync(journeyId, cancellationToken).ConfigureAwait(false);

        long rows = 0;
        var csv = CsvWriter.Create(destination, Options, leaveOpen: true);
        await using (csv.ConfigureAwait(false))
        {
            csv.WriteHeader(Header);
            await foreach (var enrollment in enrollments.ListByJourneyAsync(journeyId, version, cancellationToken).ConfigureAwait(false))
            {
                WriteRow(csv, enrollment);
                await csv.EndRecordAsync(cancellationToken).ConfigureAwait(false);
                rows++;
            }

            await csv.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return rows;
    }

    private static void WriteRow(CsvWriter csv, Enrollment enrollment)
    {
        csv.WriteField(enrollment.CustomerId);
        csv.WriteField(enrollment.Version, default);
        csv.WriteField(enrollment.CurrentNodeId);
        csv.WriteField(StatusName(enrollment.Status));
        csv.WriteField(enrollment.EndReason);
        csv.WriteField(enrollment.MessagesSent, default);
        csv.WriteField(enrollment.Clicks, default);
        csv.WriteField(enrollment.Status == EnrollmentStatus.Converted);
        csv.WriteField(enrollment.EnteredAt, default);
        csv.WriteField(enrollment.UpdatedAt, default);
        if (enrollment.IsEnded)
        {
            csv.WriteField(enrollment.UpdatedAt, default);
        }
        else
        {
            csv.WriteField(string.Empty);
        }
    }

    private static string StatusName(EnrollmentStatus status) => status switch
    {
        EnrollmentStatus.Active => "active",
        EnrollmentStatus.Waiting => "waiting",
        EnrollmentStatus.Completed => "completed",
        EnrollmentStatus.Converted => "converted",
        EnrollmentStatus.Exited => "exited",
        EnrollmentStatus.Failed => "failed",
        EnrollmentStatus.Cancelled => "cancelled",
        _ => status.ToString(),
    };
}
