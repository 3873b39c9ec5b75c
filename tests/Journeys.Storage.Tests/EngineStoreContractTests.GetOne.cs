namespace Journeys.Storage.Tests;

/// <summary><see cref="IEnrollmentStore.GetAsync(string, Guid, CancellationToken)"/>: one enrollment by its customer and id.</summary>
public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task One_enrollment_is_read_by_its_customer_and_id_live_or_ended_and_never_under_another_customer()
    {
        await using var stores = await CreateAsync();
        var live = await EnrollOneAsync(stores, Request("j", "a", T0));
        var ended = await EnrollAndEndAsync(stores, Request("k", "a", T0), T0.AddHours(1));
        var other = await EnrollOneAsync(stores, Request("j", "b", T0));

        // As the customer's history has it, field by field.
        foreach (var expected in await stores.Enrollments.GetByCustomerAsync("a"))
        {
            var read = await stores.Enrollments.GetAsync("a", expected.Id);
            Assert.NotNull(read);
            Assert.Equal(
                (expected.Id, expected.JourneyId, expected.Version, expected.CustomerId, expected.Status, expected.CurrentNodeId, expected.ConcurrencyToken, expected.EnteredAt, expected.UpdatedAt, expected.EndReason),
                (read.Id, read.JourneyId, read.Version, read.CustomerId, read.Status, read.CurrentNodeId, read.ConcurrencyToken, read.EnteredAt, read.UpdatedAt, read.EndReason));
        }

        Assert.Equal(EnrollmentStatus.Active, (await stores.Enrollments.GetAsync("a", live.Id))!.Status);
        Assert.True((await stores.Enrollments.GetAsync("a", ended.Id))!.IsEnded);
        Assert.Null(await stores.Enrollments.GetAsync("b", live.Id));
        Assert.Null(await stores.Enrollments.GetAsync("a", other.Id));
        Assert.Null(await stores.Enrollments.GetAsync("a", Guid.NewGuid()));
        Assert.Null(await stores.Enrollments.GetAsync("nobody", live.Id));
    }
}
