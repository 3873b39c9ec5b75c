namespace Journeys.Storage.Tests;

/// <summary>
/// <see cref="ICustomerStore.MergeAsync"/>: fields set or removed per customer, all or nothing, and atomic against the
/// store's other writers (the default read-merge-write, which these stores override, loses concurrent writes).
/// </summary>
public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Customer_merge_sets_and_removes_the_named_fields_keeps_the_others_and_creates_missing_customers()
    {
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free"), new("city", "Madrid"), new("score", 3.0)], "Europe/Madrid")]);

        var result = await stores.Customers.MergeAsync([
            new CustomerPatch("a", Fields(("PLAN", "pro"), ("city", FieldValue.Null), ("missing", FieldValue.Null))),
            new CustomerPatch("b", Fields(("plan", "free")), "Europe/Paris"),
            new CustomerPatch("c", Fields()),
        ]);

        Assert.Equal((2, 1), (result.Created, result.Updated));
        Assert.Equal(["a", "b", "c"], result.Customers.Select(c => c.Id));
        foreach (var customer in result.Customers)
        {
            // What the merge returns is what it stored (the spelling of a field name is the store's).
            var stored = (await stores.Customers.GetAsync(customer.Id))!;
            Assert.Equal(customer.TimeZoneId, stored.TimeZoneId);
            Assert.Equal(customer.Fields.Count, stored.Fields.Count);
            Assert.All(customer.Fields, f => Assert.Equal(f.Value, stored.GetField(f.Key)));
        }

        var a = (await stores.Customers.GetAsync("a"))!;
        Assert.Equal(("pro", 3.0, "Europe/Madrid"), (a.GetField("plan").AsString(), a.GetField("score").AsNumber(), a.TimeZoneId));
        Assert.False(a.Fields.ContainsKey("city"));
        Assert.Equal(2, a.Fields.Count);
        var b = (await stores.Customers.GetAsync("b"))!;
        Assert.Equal(("free", "Europe/Paris"), (b.GetField("plan").AsString(), b.TimeZoneId));
        var c = (await stores.Customers.GetAsync("c"))!;
        Assert.Empty(c.Fields);
        Assert.Null(c.TimeZoneId);

        // A time zone alone; an empty batch.
        var zone = await stores.Customers.MergeAsync([new CustomerPatch("a", Fields(), "Europe/Lisbon")]);
        Assert.Equal((0, 1), (zone.Created, zone.Updated));
        a = (await stores.Customers.GetAsync("a"))!;
        Assert.Equal(("Europe/Lisbon", "pro", 3.0), (a.TimeZoneId, a.GetField("plan").AsString(), a.GetField("score").AsNumber()));
        var none = await stores.Customers.MergeAsync([]);
        Assert.Equal((0, 0), (none.Created, none.Updated));
        Assert.Empty(none.Customers);
    }

    [Fact]
    public async Task Customer_merge_with_a_repeated_id_or_a_bad_patch_writes_nothing_and_names_the_index()
    {
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free")])]);
        var good = new CustomerPatch("new", Fields(("plan", "pro")));

        async Task<string> RefusedAsync(params CustomerPatch[] patches) =>
            (await Assert.ThrowsAsync<ArgumentException>(() => stores.Customers.MergeAsync(patches).AsTask())).Message;

        Assert.Contains("Customer 'a' is patched twice in the batch (at indexes 1 and 2)", await RefusedAsync(good, new CustomerPatch("a", Fields(("plan", "pro"))), new CustomerPatch("a", Fields())), StringComparison.Ordinal);
        Assert.Contains("Customer patch at index 1 is null", await RefusedAsync(good, null!), StringComparison.Ordinal);
        Assert.Contains("Customer patch at index 1 needs a customer id", await RefusedAsync(good, new CustomerPatch(" ", Fields())), StringComparison.Ordinal);
        var twice = new Dictionary<string, FieldValue>(StringComparer.Ordinal) { ["plan"] = "pro", ["PLAN"] = "max" };
        Assert.Contains("Customer patch at index 1 ('a') has the field 'PLAN' twice", await RefusedAsync(good, new CustomerPatch("a", twice)), StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentNullException>(() => stores.Customers.MergeAsync(null!).AsTask());

        Assert.Null(await stores.Customers.GetAsync("new"));
        Assert.Equal("free", (await stores.Customers.GetAsync("a"))!.GetField("plan").AsString());
    }

    [Fact]
    public async Task Customer_merge_keeps_the_fields_commits_wrote_and_commits_keep_the_fields_merges_wrote()
    {
        // In turn, so each writer finds what the other wrote (the PostgreSQL store's commits append updates to the stored
        // document, which a merge must read with them applied, and a merge's document must take appends again).
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free")], "Europe/Madrid")]);
        await stores.Enrollments.EnrollAsync([Request("j", "a", T0), Request("k", "a", T0)]);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease);
        Assert.Equal(2, claimed.Count);

        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(
            WaitFor(claimed[0].Enrollment, "never"), 1, updates: [new CustomerFieldUpdate("a", "stage", "paid"), new CustomerFieldUpdate("a", "plan", "pro")])])));
        await stores.Customers.MergeAsync([new CustomerPatch("a", Fields(("city", "Madrid"), ("plan", "max")))]);
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(
            WaitFor(claimed[1].Enrollment, "never"), 1, updates: [new CustomerFieldUpdate("a", "score", 4.0), new CustomerFieldUpdate("a", "city", FieldValue.Null)])])));
        await stores.Customers.MergeAsync([new CustomerPatch("a", Fields(("vip", true)))]);

        var a = (await stores.Customers.GetAsync("a"))!;
        Assert.Equal(("paid", "max", 4.0, true, "Europe/Madrid"), (a.GetField("stage").AsString(), a.GetField("plan").AsString(), a.GetField("score").AsNumber(), a.GetField("vip").AsBoolean(), a.TimeZoneId));
        Assert.False(a.Fields.ContainsKey("city"));
        Assert.Equal(4, a.Fields.Count);
    }

    [Fact]
    public async Task Concurrent_merges_of_different_fields_of_the_same_customers_lose_none()
    {
        // Fails with a read-merge-write (ICustomerStore's default): a merge that read before another's write replaces it.
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free")])]);
        const int Writers = 8, Each = 50;

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            await start.Task;
            for (var k = 0; k < Each; k++)
            {
                // "new" does not exist until the first of these merges creates it.
                await stores.Customers.MergeAsync([
                    new CustomerPatch("new", Fields(($"n{w}_{k}", (double)k))),
                    new CustomerPatch("a", Fields(($"f{w}_{k}", (double)k))),
                ]);
            }
        })).ToArray();
        start.SetResult();
        await Task.WhenAll(writers);

        var a = (await stores.Customers.GetAsync("a"))!;
        var created = (await stores.Customers.GetAsync("new"))!;
        Assert.Equal(Writers * Each, a.Fields.Keys.Count(k => k.StartsWith('f')));
        Assert.Equal("free", a.GetField("plan").AsString());
        Assert.Equal(Writers * Each, created.Fields.Count);
    }

    [Fact]
    public async Task Merges_and_commits_writing_different_fields_of_one_customer_at_once_lose_none()
    {
        // Fails with a read-merge-write (ICustomerStore's default): a commit's update that lands between a merge's read
        // and its write is written back to its old value.
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free")])]);
        const int Commits = 60, Merges = 120;
        await stores.Enrollments.EnrollAsync([.. Enumerable.Range(0, Commits).Select(i => Request($"j{i}", "a", T0))]);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, 100, Lease);
        Assert.Equal(Commits, claimed.Count);

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commits = Task.Run(async () =>
        {
            await start.Task;
            for (var i = 0; i < claimed.Count; i++)
            {
                Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(
                    Complete(claimed[i].Enrollment, T0), claimed[i].Enrollment.ConcurrencyToken, updates: [new CustomerFieldUpdate("a", $"e{i}", (double)i)])])));
            }
        });
        var merges = Task.Run(async () =>
        {
            // At least Merges, and on until the commits are done (a fast store's loops might not overlap otherwise).
            await start.Task;
            var made = 0;
            while (made < Merges || (!commits.IsCompleted && made < 100 * Merges))
            {
                await stores.Customers.MergeAsync([new CustomerPatch("a", Fields(($"m{made}", (double)made)))]);
                made++;
            }

            return made;
        });
        start.SetResult();
        await Task.WhenAll(commits, merges);

        var a = (await stores.Customers.GetAsync("a"))!;
        Assert.Equal(Enumerable.Range(0, Commits).Select(i => $"e{i}"), a.Fields.Keys.Where(k => k.StartsWith('e')).OrderBy(k => int.Parse(k[1..], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(await merges, a.Fields.Keys.Count(k => k.StartsWith('m')));
        Assert.Equal("free", a.GetField("plan").AsString());
    }

    [Fact]
    public async Task A_commit_that_creates_a_customer_and_a_merge_that_creates_it_at_once_keep_both_fields()
    {
        // Fails on a store whose commit creates a customer it did not find with a replace (PostgreSQL's upsert of the
        // fields it merged): a merge that creates the customer between the commit's read and its write loses its field.
        await using var stores = await CreateAsync();
        const int Pairs = 200;
        await stores.Enrollments.EnrollAsync([.. Enumerable.Range(0, Pairs).Select(i => Request("j", $"new-{i}", T0))]);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, Pairs, Lease);
        Assert.Equal(Pairs, claimed.Count);

        foreach (var claim in claimed)
        {
            var id = claim.Enrollment.CustomerId;
            var commit = Task.Run(async () => Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(
                Complete(claim.Enrollment, T0), claim.Enrollment.ConcurrencyToken, updates: [new CustomerFieldUpdate(id, "stage", "paid")])]))));
            var merge = Task.Run(async () => await stores.Customers.MergeAsync([new CustomerPatch(id, Fields(("city", "Madrid")))]));
            await Task.WhenAll(commit, merge);
        }

        var lost = new List<string>();
        foreach (var claim in claimed)
        {
            var customer = (await stores.Customers.GetAsync(claim.Enrollment.CustomerId))!;
            if (!customer.Fields.ContainsKey("stage") || !customer.Fields.ContainsKey("city"))
            {
                lost.Add($"{customer.Id}: {string.Join(", ", customer.Fields.Keys)}");
            }
        }

        Assert.Empty(lost);
    }

    private static Dictionary<string, FieldValue> Fields(params (string Name, FieldValue Value)[] fields) =>
        fields.ToDictionary(f => f.Name, f => f.Value, StringComparer.OrdinalIgnoreCase);
}
