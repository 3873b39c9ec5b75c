using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// <see cref="LeaseRenewal"/> on its own: claims whose items are all finished are let go as soon as the last of them
/// finishes (they reference the claimed items, which would otherwise live until the next renewal round), and the
/// renewal round still renews exactly the items in flight afterwards.
/// </summary>
public sealed class LeaseRenewalTests
{
    private const int Shards = 2;
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_claim_is_let_go_when_its_last_item_finishes_without_a_renewal_round()
    {
        var (renewal, _, _) = Create();
        var claim = Items(3, 2);

        renewal.Claimed(claim);
        Assert.Equal(1, renewal.HeldClaims);

        renewal.Finished(OfShard(claim, 0));
        Assert.Equal(1, renewal.HeldClaims);

        renewal.Finished(OfShard(claim, 1));
        Assert.Equal(0, renewal.HeldClaims);
    }

    [Fact]
    public void Claims_are_kept_while_a_later_claim_is_in_flight()
    {
        var (renewal, _, _) = Create();
        var first = Items(2, 2);
        var second = Items(1, 1);

        renewal.Claimed(first);
        renewal.Claimed(second);
        renewal.Finished(OfShard(first, 0));
        renewal.Finished(OfShard(first, 1));

        Assert.Equal(2, renewal.HeldClaims);

        renewal.Finished(OfShard(second, 0));
        renewal.Finished(OfShard(second, 1));
        Assert.Equal(0, renewal.HeldClaims);
    }

    [Fact]
    public async Task After_claims_are_let_go_the_round_renews_exactly_the_items_of_a_later_claim_still_in_flight()
    {
        var (renewal, store, time) = Create();
        var first = Items(2, 3);
        renewal.Claimed(first);
        renewal.Finished(OfShard(first, 1));
        renewal.Finished(OfShard(first, 0));
        Assert.Equal(0, renewal.HeldClaims);

        // The second claim's shard 0 items finish, its shard 1 items are still in a batch when the round comes.
        var second = Items(3, 2);
        renewal.Claimed(second);
        renewal.Finished(OfShard(second, 0));
        Assert.Equal(1, renewal.HeldClaims);

        time.Advance(renewal.Period);
        await renewal.RenewAsync(CancellationToken.None);

        var renewed = Assert.Single(store.Renewals);
        Assert.Equal(OfShard(second, 1).Select(i => i.Enrollment.Id), renewed);
        Assert.Equal(1, renewal.HeldClaims);

        renewal.Finished(OfShard(second, 1));
        Assert.Equal(0, renewal.HeldClaims);
        time.Advance(renewal.Period);
        await renewal.RenewAsync(CancellationToken.None);
        Assert.Single(store.Renewals);
    }

    private static (LeaseRenewal Renewal, RecordingStore Store, FakeTimeProvider Time) Create()
    {
        var time = new FakeTimeProvider(T0);
        var engineStore = new InMemoryEngineStore(new InMemoryCustomerStore());
        var store = new RecordingStore(engineStore);
        return (new LeaseRenewal(store, engineStore, "engine-1", Lease, Shards, time, NullLogger.Instance), store, time);
    }

    /// <summary>A claim of <paramref name="onShard0"/> items routed to shard 0 and <paramref name="onShard1"/> to shard 1, shard 0's first.</summary>
    private static List<WorkItem> Items(int onShard0, int onShard1)
    {
        var items = new List<WorkItem>();
        while (items.Count(i => Shard(i) == 0) < onShard0 || items.Count(i => Shard(i) == 1) < onShard1)
        {
            var customer = $"customer-{Guid.NewGuid():N}";
            var shard = LeaseRenewal.ShardOf(customer, Shards);
            if (items.Count(i => Shard(i) == shard) < (shard == 0 ? onShard0 : onShard1))
            {
                var enrollment = new Enrollment(Guid.NewGuid(), "journey", 1, customer, "node", EnrollmentStatus.Active, null, null, 0, T0, T0, 1);
                items.Add(new WorkItem(enrollment, [], T0 + Lease));
            }
        }

        return [.. items.OrderBy(Shard)];
    }

    private static int Shard(WorkItem item) => LeaseRenewal.ShardOf(item.Enrollment.CustomerId, Shards);

    /// <summary>The items of <paramref name="claim"/> on <paramref name="shard"/>, in order: that shard's batch.</summary>
    private static List<WorkItem> OfShard(List<WorkItem> claim, int shard) => [.. claim.Where(i => Shard(i) == shard)];

    private sealed class RecordingStore(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        public List<List<Guid>> Renewals { get; } = [];

        public override ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            Renewals.Add([.. enrollmentIds]);
            return ValueTask.FromResult<IReadOnlyList<bool>>([.. enrollmentIds.Select(_ => true)]);
        }
    }
}
