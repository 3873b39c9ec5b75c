namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Customer_upsert_counts_created_and_updated()
    {
        await using var stores = await CreateAsync();
        var first = await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free")]), new Customer("b")]);
        var second = await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "pro")], "Europe/Madrid"), new Customer("c")]);

        Assert.Equal(new CustomerUpsertResult(2, 0), first);
        Assert.Equal(new CustomerUpsertResult(1, 1), second);
        var a = await stores.Customers.GetAsync("a");
        Assert.Equal("pro", a!.GetField("plan").AsString());
        Assert.Equal("Europe/Madrid", a.TimeZoneId);
        Assert.Null(await stores.Customers.GetAsync("missing"));
    }

    [Fact]
    public async Task Customer_upserted_with_a_null_field_is_read_back_without_it()
    {
        // A FieldValue.Null value is no value (as a merge or a commit's update removes the field): the in-memory and
        // SQLite stores leave it out; PostgreSQL stored it as ["z", null] and read it back as a field of the customer.
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "pro"), new("city", FieldValue.Null)])]);

        var read = await stores.Customers.GetAsync("a");
        var many = Assert.Single(await stores.Customers.GetManyAsync(["a"]));
        var scanned = Assert.Single(await ToListAsync(stores.Customers.ScanAsync()));
        var merged = Assert.Single((await stores.Customers.MergeAsync([new CustomerPatch("a", Fields(("plan", "max")))])).Customers);

        foreach (var customer in new[] { read!, many!, scanned, merged, (await stores.Customers.GetAsync("a"))! })
        {
            Assert.Equal(["plan"], customer.Fields.Keys);
        }
    }

    [Fact]
    public async Task Customer_batch_read_answers_each_id_in_order_with_null_for_missing_ones()
    {
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free")]), new Customer("b", [], "Europe/Madrid")]);

        var read = await stores.Customers.GetManyAsync(["b", "missing", "a", "b", "A"]);

        Assert.Equal(5, read.Count);
        Assert.Equal("b", read[0]!.Id);
        Assert.Equal("Europe/Madrid", read[0]!.TimeZoneId);
        Assert.Null(read[1]);
        Assert.Equal("free", read[2]!.GetField("plan").AsString());
        Assert.Equal("b", read[3]!.Id);
        Assert.Null(read[4]); // ids are case-sensitive
        Assert.Empty(await stores.Customers.GetManyAsync([]));
        await Assert.ThrowsAsync<ArgumentException>(() => stores.Customers.GetManyAsync(["a", null!]).AsTask());
    }

    [Fact]
    public async Task Customer_upsert_with_a_repeated_id_writes_nothing_and_names_the_id()
    {
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free")])]);

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            stores.Customers.UpsertAsync([new Customer("new"), new Customer("a", [new("plan", "pro")]), new Customer("a")]).AsTask());

        Assert.Contains("'a'", error.Message, StringComparison.Ordinal);
        Assert.Null(await stores.Customers.GetAsync("new"));
        Assert.Equal("free", (await stores.Customers.GetAsync("a"))!.GetField("plan").AsString());
    }

    [Fact]
    public async Task Customer_scan_is_in_ordinal_id_order_and_a_snapshot()
    {
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("b"), new Customer("a"), new Customer("B"), new Customer("c")]);

        var seen = new List<string>();
        await foreach (var customer in stores.Customers.ScanAsync())
        {
            seen.Add(customer.Id);
            if (seen.Count == 1)
            {
                // Changes during the scan neither break it nor show up in it.
                await stores.Customers.UpsertAsync([new Customer("aa")]);
                await stores.Customers.DeleteAsync("c");
            }
        }

        Assert.Equal(["B", "a", "b", "c"], seen);
        Assert.Equal(["B", "a", "aa", "b"], (await ToListAsync(stores.Customers.ScanAsync())).Select(c => c.Id));
    }

    [Fact]
    public async Task Customer_delete_reports_whether_it_existed()
    {
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a")]);

        Assert.True(await stores.Customers.DeleteAsync("a"));
        Assert.False(await stores.Customers.DeleteAsync("a"));
        Assert.Null(await stores.Customers.GetAsync("a"));
    }

    [Fact]
    public async Task Customer_schema_is_empty_until_saved()
    {
        await using var stores = await CreateAsync();
        Assert.Empty((await stores.Customers.GetSchemaAsync()).Fields);

        var schema = CustomerFieldSchema.Create(new FieldDefinition("plan", FieldType.String));
        await stores.Customers.SaveSchemaAsync(schema);

        Assert.Equal(schema, await stores.Customers.GetSchemaAsync());
    }
}
