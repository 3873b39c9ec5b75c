using Journeys.Model;
using Journeys.PostgreSql;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>The contract suite against the PostgreSQL stores, each test in a fresh schema of the server in <c>JOURNEYS_TEST_POSTGRES</c>.</summary>
[RequiresPostgreSql]
public sealed class PostgreSqlStoreContractTests : EngineStoreContractTests
{
    protected override ValueTask<StoreSet> CreateStoresAsync(TimeProvider timeProvider)
    {
        var schema = PostgreSqlTestServer.NewSchema();
        var dataSource = PostgreSqlTestServer.CreateDataSource();
        var database = PostgreSqlTestServer.CreateDatabase(dataSource, schema);
        var engine = new PostgreSqlEngineStore(database);
        return ValueTask.FromResult(new StoreSet(
            new PostgreSqlJourneyStore(database, timeProvider),
            new PostgreSqlCustomerStore(database),
            engine,
            engine,
            engine,
            async () =>
            {
                await database.DisposeAsync();
                await dataSource.DisposeAsync();
                await PostgreSqlTestServer.DropSchemaAsync(schema);
            }));
    }

    [Fact]
    public async Task Later_customer_updates_in_a_commit_win_and_field_names_match_whatever_their_case()
    {
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free"), new("score", 3.0), new("city", "Madrid")], "Europe/Madrid")]);
        await stores.Enrollments.EnrollAsync([Request("j", "a", T0), Request("k", "a", T0)]);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease);
        Assert.Equal(2, claimed.Count);

        var applied = await stores.Enrollments.CommitAsync("engine", [
            Checkpoint(Complete(claimed[0].Enrollment, T0), 1, updates: [new CustomerFieldUpdate("a", "plan", "pro"), new CustomerFieldUpdate("a", "score", 7.5)]),
            Checkpoint(Complete(claimed[1].Enrollment, T0), 1, updates: [new CustomerFieldUpdate("a", "Plan", "max"), new CustomerFieldUpdate("a", "SCORE", FieldValue.Null)]),
        ]);

        Assert.Equal([true, true], applied);
        var customer = (await stores.Customers.GetAsync("a"))!;
        Assert.Equal("max", customer.GetField("plan").AsString());
        Assert.False(customer.Fields.ContainsKey("score"));
        Assert.Equal("Madrid", customer.GetField("city").AsString());
        Assert.Equal(2, customer.Fields.Count);
        Assert.Equal("Europe/Madrid", customer.TimeZoneId);
    }

    [Fact]
    public async Task Customer_updates_with_text_postgresql_json_cannot_read_are_merged_by_the_store()
    {
        // PostgreSQL's json functions refuse \u0000 and lone surrogate escapes (the store treats every surrogate escape,
        // an emoji, alike): customers with such a stored field, or an update carrying one, take the read-modify-write
        // path; the others merge on the server.
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([
            new Customer("stored-nul", [new("note", "x\0y"), new("plan", "free")]),
            new Customer("stored-emoji", [new("nick", "caf\u00e9 \U0001F600"), new("plan", "free")]),
            new Customer("plain", [new("plan", "free"), new("nick", "caf\u00e9")]),
            new Customer("update-nul", [new("plan", "free")]),
        ]);
        await stores.Enrollments.EnrollAsync([Request("j", "stored-nul", T0), Request("j", "stored-emoji", T0), Request("j", "plain", T0), Request("j", "update-nul", T0), Request("j", "new-nul", T0)]);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease);
        Assert.Equal(5, claimed.Count);

        var checkpoints = claimed.Select(item => Checkpoint(Complete(item.Enrollment, T0), 1, updates: item.Enrollment.CustomerId switch
        {
            "update-nul" => [new CustomerFieldUpdate("update-nul", "plan", "pro"), new CustomerFieldUpdate("update-nul", "note", "a\0b")],
            "new-nul" => [new CustomerFieldUpdate("new-nul", "tags", FieldValue.FromStringList(["x\0", "\U0001F600"]))],
            var id => [new CustomerFieldUpdate(id, "plan", "pro")],
        })).ToArray();
        Assert.All(await stores.Enrollments.CommitAsync("engine", checkpoints), Assert.True);

        var storedNul = (await stores.Customers.GetAsync("stored-nul"))!;
        Assert.Equal(("x\0y", "pro"), (storedNul.GetField("note").AsString(), storedNul.GetField("plan").AsString()));
        var storedEmoji = (await stores.Customers.GetAsync("stored-emoji"))!;
        Assert.Equal(("caf\u00e9 \U0001F600", "pro"), (storedEmoji.GetField("nick").AsString(), storedEmoji.GetField("plan").AsString()));
        var plain = (await stores.Customers.GetAsync("plain"))!;
        Assert.Equal(("pro", "caf\u00e9"), (plain.GetField("plan").AsString(), plain.GetField("nick").AsString()));
        var updateNul = (await stores.Customers.GetAsync("update-nul"))!;
        Assert.Equal(("pro", "a\0b"), (updateNul.GetField("plan").AsString(), updateNul.GetField("note").AsString()));
        Assert.Equal(new[] { "x\0", "\U0001F600" }, (await stores.Customers.GetAsync("new-nul"))!.GetField("tags").AsStringList().AsImmutableArray());
    }
}
