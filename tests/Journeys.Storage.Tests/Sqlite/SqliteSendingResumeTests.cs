using Journeys.Messaging;
using Journeys.Sendings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>A sending's enrolling pass interrupted (its call cancelled, as a stopping host aborts a request) and run again, on a SQLite file.</summary>
public sealed class SqliteSendingResumeTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private readonly SqliteTestFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task A_sending_call_cancelled_just_after_its_batch_was_enrolled_resumes_counting_those_customers_enrolled_not_skipped()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
        services.AddJourneys(j => j
            .UseSqlite(_file.ConnectionString)
            .AddSender(Channel.Push, new RecordingChannelSender())
            .AddCampaigns(new Campaign("promo", Channel.Push, "Promo")));

        // The caller's token is cancelled once the batch's enrollments are written, as the pass counts them.
        using var caller = new CancellationTokenSource();
        var stored = services.Last(d => d.ServiceType == typeof(IStatisticsStore));
        services.AddSingleton<IStatisticsStore>(sp => new CancelBeforeFirstAdd((IStatisticsStore)stored.ImplementationFactory!(sp), caller));
        await using var provider = services.BuildServiceProvider();

        var ids = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([.. ids.Select(id => new Customer(id))]);
        var sendings = provider.GetRequiredService<ISendingManager>();
        var request = new SendingRequest("promo") { SendingId = "spring" };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sendings.SendToListAsync(request, ids.ToAsyncEnumerable(), caller.Token).AsTask());

        // Called again: the pass is resumed, and each id is counted once, as what it is.
        var status = await sendings.SendToListAsync(request, ids.ToAsyncEnumerable());

        Assert.Equal(10, status.Progress.Targeted);
        Assert.Equal(10, status.Progress.Enrolled);
        Assert.Equal(0, status.Progress.Skipped);
        Assert.Equal(10, status.Progress.Pending);
    }

    /// <summary>Cancels <paramref name="caller"/> before the first statistics write, then passes everything on.</summary>
    private sealed class CancelBeforeFirstAdd(IStatisticsStore inner, CancellationTokenSource caller) : IStatisticsStore
    {
        private int _added;

        public ValueTask AddAsync(IReadOnlyList<StatisticDelta> deltas, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _added, 1) == 0)
            {
                caller.Cancel();
            }

            return inner.AddAsync(deltas, cancellationToken);
        }

        public ValueTask<JourneyStatistics> GetAsync(string journeyId, int? version, CancellationToken cancellationToken = default) =>
            inner.GetAsync(journeyId, version, cancellationToken);
    }
}
