namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Journey_create_then_get_returns_it_with_an_etag_and_the_save_time()
    {
        await using var stores = await CreateAsync();
        var saved = await stores.Journeys.SaveAsync(Journey("welcome"), null);

        Assert.Equal(Journey("welcome"), saved.Journey);
        Assert.False(string.IsNullOrEmpty(saved.ETag));
        Assert.Equal(T0, saved.UpdatedAt);
        Assert.Equal(saved, await stores.Journeys.GetAsync("welcome"));
        Assert.Null(await stores.Journeys.GetAsync("other"));
    }

    [Fact]
    public async Task Journey_create_twice_is_a_conflict_naming_the_journey()
    {
        await using var stores = await CreateAsync();
        await stores.Journeys.SaveAsync(Journey("welcome"), null);

        var error = await Assert.ThrowsAsync<JourneyConcurrencyException>(() => stores.Journeys.SaveAsync(Journey("welcome", name: "Again"), null).AsTask());
        Assert.Contains("welcome", error.Message, StringComparison.Ordinal);
        Assert.Equal("Journey", (await stores.Journeys.GetAsync("welcome"))!.Journey.Name);
    }

    [Fact]
    public async Task Journey_replace_with_the_current_etag_changes_the_etag()
    {
        await using var stores = await CreateAsync();
        var first = await stores.Journeys.SaveAsync(Journey("welcome"), null);
        Time.Advance(TimeSpan.FromMinutes(5));

        var second = await stores.Journeys.SaveAsync(Journey("welcome", name: "Renamed"), first.ETag);

        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal(T0.AddMinutes(5), second.UpdatedAt);
        Assert.Equal("Renamed", (await stores.Journeys.GetAsync("welcome"))!.Journey.Name);
        Assert.Equal("Renamed", (await stores.Journeys.GetVersionAsync("welcome", 1))!.Journey.Name);
    }

    [Fact]
    public async Task Journey_save_with_a_stale_etag_is_a_conflict_and_changes_nothing()
    {
        await using var stores = await CreateAsync();
        var first = await stores.Journeys.SaveAsync(Journey("welcome"), null);
        var second = await stores.Journeys.SaveAsync(Journey("welcome", name: "Second"), first.ETag);

        var error = await Assert.ThrowsAsync<JourneyConcurrencyException>(() => stores.Journeys.SaveAsync(Journey("welcome", name: "Lost"), first.ETag).AsTask());

        Assert.Contains("welcome", error.Message, StringComparison.Ordinal);
        Assert.Equal(second, await stores.Journeys.GetAsync("welcome"));
    }

    [Fact]
    public async Task Journey_update_of_a_missing_journey_is_a_conflict()
    {
        await using var stores = await CreateAsync();
        var saved = await stores.Journeys.SaveAsync(Journey("welcome"), null);
        Assert.True(await stores.Journeys.DeleteAsync("welcome"));

        await Assert.ThrowsAsync<JourneyConcurrencyException>(() => stores.Journeys.SaveAsync(Journey("welcome"), saved.ETag).AsTask());
        Assert.Null(await stores.Journeys.GetAsync("welcome"));
    }

    [Fact]
    public async Task Journey_new_version_keeps_the_old_one_readable()
    {
        await using var stores = await CreateAsync();
        var v1 = await stores.Journeys.SaveAsync(Journey("welcome", 1, "One"), null);

        var v2 = await stores.Journeys.SaveAsync(Journey("welcome", 2, "Two"), v1.ETag);

        Assert.Equal(v2, await stores.Journeys.GetAsync("welcome"));
        Assert.Equal(v1, await stores.Journeys.GetVersionAsync("welcome", 1));
        Assert.Equal(v2, await stores.Journeys.GetVersionAsync("welcome", 2));
        Assert.Null(await stores.Journeys.GetVersionAsync("welcome", 3));

        // Only the latest version's ETag guards the journey.
        await Assert.ThrowsAsync<JourneyConcurrencyException>(() => stores.Journeys.SaveAsync(Journey("welcome", 2, "Stale"), v1.ETag).AsTask());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(1)]
    [InlineData(0)]
    public async Task Journey_version_neither_latest_nor_next_is_a_conflict(int version)
    {
        await using var stores = await CreateAsync();
        var v1 = await stores.Journeys.SaveAsync(Journey("welcome", 1), null);
        var v2 = await stores.Journeys.SaveAsync(Journey("welcome", 2), v1.ETag);

        var error = await Assert.ThrowsAsync<JourneyConcurrencyException>(() => stores.Journeys.SaveAsync(Journey("welcome", version, "Bad"), v2.ETag).AsTask());

        Assert.Contains("version", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(v2, await stores.Journeys.GetAsync("welcome"));
    }

    [Fact]
    public async Task Journey_list_returns_the_latest_versions_in_ordinal_id_order()
    {
        await using var stores = await CreateAsync();
        await stores.Journeys.SaveAsync(Journey("b"), null);
        var a1 = await stores.Journeys.SaveAsync(Journey("a"), null);
        await stores.Journeys.SaveAsync(Journey("B"), null);
        await stores.Journeys.SaveAsync(Journey("a", 2), a1.ETag);

        var listed = await ToListAsync(stores.Journeys.ListAsync());

        Assert.Equal(["B", "a", "b"], listed.Select(r => r.Journey.Id));
        Assert.Equal(2, listed[1].Journey.Version);
    }

    [Fact]
    public async Task Journey_list_read_again_after_each_kind_of_write_shows_that_write()
    {
        // A store may reuse its last listing while nothing changed (the SQLite store does): each kind of write must end that.
        await using var stores = await CreateAsync();
        async Task<List<(string Id, int Version, string ETag)>> ListedAsync() =>
            [.. (await ToListAsync(stores.Journeys.ListAsync())).Select(r => (r.Journey.Id, r.Journey.Version, r.ETag))];

        Assert.Empty(await ListedAsync());
        var list = await stores.Journeys.SaveAsync(Journey("list") with { Entry = new CustomerListEntry(["a", "b"]) }, null);
        Assert.Equal([("list", 1, list.ETag)], await ListedAsync());
        Assert.Equal([("list", 1, list.ETag)], await ListedAsync());

        var other = await stores.Journeys.SaveAsync(Journey("other"), null);
        Assert.Equal([("list", 1, list.ETag), ("other", 1, other.ETag)], await ListedAsync());

        var replaced = await stores.Journeys.SaveAsync(Journey("other", name: "Renamed"), other.ETag);
        Assert.Equal([("list", 1, list.ETag), ("other", 1, replaced.ETag)], await ListedAsync());

        var next = await stores.Journeys.SaveWithIntakeAsync(Journey("other", 2) with { Status = JourneyStatus.Active }, replaced.ETag, new JourneyIntake(Guid.NewGuid(), "other", 2, T0));
        Assert.Equal([("list", 1, list.ETag), ("other", 2, next.ETag)], await ListedAsync());

        Assert.Equal(["list"], await stores.Journeys.EraseCustomerAsync("a"));
        var erased = (await stores.Journeys.GetAsync("list"))!;
        Assert.NotEqual(list.ETag, erased.ETag);
        Assert.Equal([("list", 1, erased.ETag), ("other", 2, next.ETag)], await ListedAsync());
        Assert.Equal(new CustomerListEntry(["b"]), (await ToListAsync(stores.Journeys.ListAsync()))[0].Journey.Entry);

        Assert.True(await stores.Journeys.DeleteAsync("other"));
        Assert.Equal([("list", 1, erased.ETag)], await ListedAsync());
    }

    [Fact]
    public async Task Journey_delete_removes_every_version()
    {
        await using var stores = await CreateAsync();
        var v1 = await stores.Journeys.SaveAsync(Journey("welcome", 1), null);
        await stores.Journeys.SaveAsync(Journey("welcome", 2), v1.ETag);

        Assert.True(await stores.Journeys.DeleteAsync("welcome"));

        Assert.False(await stores.Journeys.DeleteAsync("welcome"));
        Assert.Null(await stores.Journeys.GetAsync("welcome"));
        Assert.Null(await stores.Journeys.GetVersionAsync("welcome", 1));
        Assert.Empty(await ToListAsync(stores.Journeys.ListAsync()));

        // The id is free again.
        await stores.Journeys.SaveAsync(Journey("welcome"), null);
    }
}
