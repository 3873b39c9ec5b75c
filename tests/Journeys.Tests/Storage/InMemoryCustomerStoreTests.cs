using System.Collections.Immutable;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Storage.InMemory;

namespace Journeys.Tests.Storage;

/// <summary>The compact in-memory customer store against plain <see cref="Customer"/> objects in a dictionary.</summary>
public sealed class InMemoryCustomerStoreTests
{
    private static readonly DateTimeOffset Noon = new(2024, 5, 1, 12, 30, 15, TimeSpan.Zero);

    [Fact]
    public async Task Every_value_type_and_awkward_text_round_trips()
    {
        var store = new InMemoryCustomerStore();
        var fields = new Dictionary<string, FieldValue>
        {
            ["text"] = "héllo, 日本 😀 \"quoted\"\r\n",
            ["lone"] = "a\uD800b",
            ["empty"] = "",
            ["whole"] = 42d,
            ["negative"] = -7d,
            ["big"] = 9007199254740993d,
            ["fraction"] = -3.25,
            ["tiny"] = double.Epsilon,
            ["yes"] = true,
            ["no"] = false,
            ["midnight"] = new DateTimeOffset(1960, 1, 1, 0, 0, 0, TimeSpan.Zero),
            ["noon"] = Noon,
            ["offset"] = new DateTimeOffset(2024, 5, 1, 0, 0, 0, TimeSpan.FromHours(2)),
            ["list"] = FieldValue.FromStringList(["a", "", "b|c", "\uDC00"]),
            ["none"] = FieldValue.FromStringList([]),
        };
        await store.UpsertAsync([new Customer("\uD83D\uDE00 id\uDFFF", fields, "Europe/Madrid"), new Customer("plain")]);

        var got = (await store.GetAsync("\uD83D\uDE00 id\uDFFF"))!;
        Assert.Equal("Europe/Madrid", got.TimeZoneId);
        Assert.Equal(fields.Count, got.Fields.Count);
        foreach (var (name, value) in fields)
        {
            Assert.Equal(value, got.GetField(name));
        }

        Assert.Empty((await store.GetAsync("plain"))!.Fields);
        Assert.Null(await store.GetAsync("\uD83D\uDE00 id"));
    }

    [Fact]
    public async Task The_engine_slot_read_equals_filling_slots_from_the_decoded_customer()
    {
        var store = new InMemoryCustomerStore();
        await store.UpsertAsync([
            new Customer("full", new Dictionary<string, FieldValue>
            {
                ["Name"] = "Ana \"A\" 😀",
                ["age"] = 31d,
                ["vip"] = true,
                ["born"] = Noon,
                ["tags"] = FieldValue.FromStringList(["x", "y"]),
                ["score"] = FieldValue.Null,
                ["unused"] = "not in the schema",
            }, "Europe/Madrid"),
            new Customer("sparse", new Dictionary<string, FieldValue> { ["age"] = -2.5 }),
        ]);
        var schema = CustomerFieldSchema.Create(
            new FieldDefinition("name", FieldType.String, "nobody"),
            new FieldDefinition("age", FieldType.Number),
            new FieldDefinition("vip", FieldType.Boolean, false),
            new FieldDefinition("born", FieldType.DateTime),
            new FieldDefinition("tags", FieldType.StringList),
            new FieldDefinition("score", FieldType.Number, 5d));

        foreach (var id in new[] { "full", "sparse", "missing" })
        {
            var expected = global::Journeys.Conditions.CustomerSlots.ToArray(await store.GetAsync(id) ?? new Customer(id), schema);
            var slots = new FieldValue[schema.Fields.Count];
            Array.Fill(slots, "stale value from the previous enrollment");
            var found = store.FillSlots(id, schema, slots, out var zone);
            Assert.Equal(id != "missing", found);
            Assert.Equal(expected, slots);
            Assert.Equal(id == "full" ? "Europe/Madrid" : null, zone);
        }

        // A field added to the store after the slot map was built, and a different schema object, are both seen.
        await store.UpsertAsync([new Customer("sparse", new Dictionary<string, FieldValue> { ["age"] = 1d, ["late"] = "new" })]);
        var wider = schema.WithField(new FieldDefinition("late", FieldType.String));
        var wide = new FieldValue[wider.Fields.Count];
        Assert.True(store.FillSlots("sparse", wider, wide, out _));
        Assert.Equal(global::Journeys.Conditions.CustomerSlots.ToArray((await store.GetAsync("sparse"))!, wider), wide);
        Assert.Equal((FieldValue)"new", wide[^1]);
    }

    [Fact]
    public async Task FillSlots_shares_repeated_short_strings_and_still_reads_every_value_exactly()
    {
        var store = new InMemoryCustomerStore();
        var schema = CustomerFieldSchema.Create(
            new FieldDefinition("country", FieldType.String),
            new FieldDefinition("name", FieldType.String),
            new FieldDefinition("note", FieldType.String, "default"));
        string[] notes = ["", "é日本😀", "a\uD800b", new string('x', 32), new string('y', 33), "ñandú-ñandú-ñandú-ñandú", "plain"];
        var customers = Enumerable.Range(0, 200).Select(i => new Customer($"c{i}", new Dictionary<string, FieldValue>
        {
            ["country"] = i % 2 == 0 ? "ES" : "FR",
            ["name"] = $"Name {i}",
            ["note"] = notes[i % notes.Length],
        })).ToList();
        await store.UpsertAsync(customers);

        var first = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var customer in customers)
            {
                var slots = new FieldValue[schema.Fields.Count];
                Assert.True(store.FillSlots(customer.Id, schema, slots, out _));
                Assert.Equal(global::Journeys.Conditions.CustomerSlots.ToArray(customer, schema), slots);
                var country = slots[0].AsString();
                if (first.TryGetValue(country, out var earlier))
                {
                    // A value read before is the same string object, not a new copy.
                    Assert.Same(earlier, country);
                }
                else
                {
                    first.Add(country, country);
                }
            }
        }

        // A field changed in place is read as its new value, not as the shared old one.
        lock (store.SyncRoot)
        {
            store.ApplyFieldUpdatesLocked([new CustomerFieldUpdate("c0", "country", "EX")]);
        }

        var changed = new FieldValue[schema.Fields.Count];
        Assert.True(store.FillSlots("c0", schema, changed, out _));
        Assert.Equal((FieldValue)"EX", changed[0]);
        Assert.True(store.FillSlots("c2", schema, changed, out _));
        Assert.Same(first["ES"], changed[0].AsString());
    }

    [Fact]
    public async Task Scans_are_in_ordinal_order_even_where_utf8_and_utf16_orders_differ()
    {
        var store = new InMemoryCustomerStore();
        string[] ids = ["b", "a", "\uFF21", "\uD83D\uDE00", "\uE000x", "a\uD800", "A", "ab", "é"];
        await store.UpsertAsync([.. ids.Select(id => new Customer(id))]);
        var scanned = new List<string>();
        await foreach (var customer in store.ScanAsync())
        {
            scanned.Add(customer.Id);
        }

        Assert.Equal(ids.OrderBy(id => id, StringComparer.Ordinal), scanned);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Random_upserts_deletes_field_updates_and_merges_agree_with_a_dictionary_of_customers(int seed)
    {
        var random = new Random(seed);
        var store = new InMemoryCustomerStore();
        var reference = new Dictionary<string, Customer>(StringComparer.Ordinal);
        string[] names = ["plan", "score", "vip", "tags"];
        for (var step = 0; step < 20_000; step++)
        {
            var id = "c" + random.Next(600);
            switch (random.Next(5))
            {
                case 0:
                    var customer = new Customer(id, RandomFields(random, names), random.Next(3) == 0 ? "Europe/Madrid" : null);
                    Assert.Equal(reference.ContainsKey(id) ? 1 : 0, (await store.UpsertAsync([customer])).Updated);
                    reference[id] = customer;
                    break;
                case 1:
                    Assert.Equal(reference.Remove(id), await store.DeleteAsync(id));
                    break;
                case 2:
                    var name = names[random.Next(names.Length)];
                    var value = random.Next(3) == 0 ? FieldValue.Null : RandomValue(random, name);
                    lock (store.SyncRoot)
                    {
                        store.ApplyFieldUpdatesLocked([new CustomerFieldUpdate(id, name, value)]);
                    }

                    var old = reference.GetValueOrDefault(id);
                    var updated = (old?.Fields ?? ImmutableDictionary<string, FieldValue>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase));
                    reference[id] = new Customer(id, value.IsNull ? updated.Remove(name) : updated.SetItem(name, value), old?.TimeZoneId);
                    break;
                case 3:
                    var columns = names.Where(_ => random.Next(2) == 0).ToArray();
                    var values = columns.Select(c => random.Next(3) == 0 ? FieldValue.Null : RandomValue(random, c)).ToArray();
                    var fieldIds = store.FieldIds(columns);
                    var patch = new RecordBuffer();
                    CustomerRecordCodec.WriteString(patch, id);
                    patch.WriteByte(0);
                    patch.WriteVarint((ulong)values.Count(v => !v.IsNull));
                    for (var c = 0; c < columns.Length; c++)
                    {
                        if (!values[c].IsNull)
                        {
                            patch.WriteVarint((ulong)fieldIds[c]);
                            CustomerRecordCodec.WriteValue(patch, values[c]);
                        }
                    }

                    var stage = new CustomerStage((_, _, _) => Assert.Fail("one row cannot repeat an id"));
                    stage.Add(patch.WrittenSpan, (uint)System.IO.Hashing.XxHash3.HashToUInt64(patch.WrittenSpan[..IdLength(patch.WrittenSpan)]), 2);
                    stage.Complete();
                    var merged = store.CommitStage(stage, fieldIds);
                    Assert.Equal(reference.ContainsKey(id) ? (0, 1) : (1, 0), (merged.Created, merged.Updated));
                    var before = reference.GetValueOrDefault(id);
                    var builder = (before?.Fields ?? ImmutableDictionary<string, FieldValue>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase)).ToBuilder();
                    for (var c = 0; c < columns.Length; c++)
                    {
                        if (values[c].IsNull)
                        {
                            builder.Remove(columns[c]);
                        }
                        else
                        {
                            builder[columns[c]] = values[c];
                        }
                    }

                    reference[id] = new Customer(id, builder, before?.TimeZoneId);
                    break;
                default:
                    AssertSame(reference.GetValueOrDefault(id), await store.GetAsync(id));
                    break;
            }
        }

        Assert.Equal(reference.Count, store.Count);
        var scanned = new List<Customer>();
        await foreach (var customer in store.ScanAsync())
        {
            scanned.Add(customer);
        }

        Assert.Equal(reference.Keys.Order(StringComparer.Ordinal), scanned.Select(c => c.Id));
        foreach (var customer in scanned)
        {
            AssertSame(reference[customer.Id], customer);
        }
    }

    [Fact]
    public async Task Rewriting_every_customer_many_times_compacts_and_a_running_scan_keeps_its_snapshot()
    {
        var store = new InMemoryCustomerStore();
        var text = new string('x', 200);
        await store.UpsertAsync([.. Enumerable.Range(0, 20_000).Select(i => new Customer($"c{i}", [new("text", text + i), new("round", 0d)]))]);
        var scan = store.ScanAsync().GetAsyncEnumerator();
        Assert.True(await scan.MoveNextAsync());
        var afterFirstRound = store.AllocatedBytes;
        for (var round = 1; round <= 10; round++)
        {
            await store.UpsertAsync([.. Enumerable.Range(0, 20_000).Select(i => new Customer($"c{i}", [new("text", text + i), new("round", (double)round)]))]);
        }

        // Ten rounds of ~4.5 MB each were written; compaction keeps the arena within a few rounds' worth.
        Assert.True(store.AllocatedBytes < afterFirstRound + (3 * 4_500_000L), $"{store.AllocatedBytes} bytes after 10 rewrites (first round: {afterFirstRound}).");
        Assert.Equal(10d, (await store.GetAsync("c123"))!.GetField("round").AsNumber());
        var seen = 1;
        while (await scan.MoveNextAsync())
        {
            Assert.Equal(0d, scan.Current.GetField("round").AsNumber());
            Assert.Equal(text + scan.Current.Id[1..], scan.Current.GetField("text").AsString());
            seen++;
        }

        Assert.Equal(20_000, seen);
        await scan.DisposeAsync();
    }

    [Fact]
    public async Task Field_updates_that_fit_overwrite_the_record_in_place_unless_a_scan_holds_a_snapshot()
    {
        var store = new InMemoryCustomerStore();
        await store.UpsertAsync([.. Enumerable.Range(0, 2_000).Select(i => new Customer($"c{i}", [new("segment", "returning-buyers"), new("n", (double)i)]))]);
        void Update(string value)
        {
            lock (store.SyncRoot)
            {
                store.ApplyFieldUpdatesLocked([.. Enumerable.Range(0, 2_000).Select(i => new CustomerFieldUpdate($"c{i}", "segment", value))]);
            }
        }

        // A field the customer has is replaced in its place, so every update here fits in place, the first one too
        // (50 rounds appended would be ~4 MB of new pages, below the compaction threshold).
        Update("welcomed");
        var afterFirst = store.AllocatedBytes;
        for (var round = 0; round < 50; round++)
        {
            Update(round % 2 == 0 ? "welcome!" : "welcomed");
        }

        Assert.Equal(afterFirst, store.AllocatedBytes);
        Assert.Equal("welcomed", (await store.GetAsync("c7"))!.GetField("segment").AsString());
        Assert.Equal(7d, (await store.GetAsync("c7"))!.GetField("n").AsNumber());

        // A scan reads its snapshot outside the lock: while it runs, an update must not change what it reads.
        var scan = store.ScanAsync().GetAsyncEnumerator();
        Assert.True(await scan.MoveNextAsync());
        Update("welcome!");
        Assert.Equal("welcome!", (await store.GetAsync("c1999"))!.GetField("segment").AsString());
        var seen = 1;
        while (await scan.MoveNextAsync())
        {
            Assert.Equal("welcomed", scan.Current.GetField("segment").AsString());
            seen++;
        }

        Assert.Equal(2_000, seen);
        await scan.DisposeAsync();

        // The scan is over: updates fit in place again.
        var afterScan = store.AllocatedBytes;
        Update("welcomed");
        Update("welcome");
        Assert.Equal(afterScan, store.AllocatedBytes);
        Assert.Equal("welcome", (await store.GetAsync("c1999"))!.GetField("segment").AsString());
    }

    [Fact]
    public async Task A_field_update_replaces_only_that_value_whatever_its_length_and_case_and_a_repeated_value_writes_nothing()
    {
        var store = new InMemoryCustomerStore();
        var fields = new Dictionary<string, FieldValue>
        {
            ["first"] = "Ana",
            ["segment"] = "returning-buyers",
            ["n"] = 7d,
            ["born"] = Noon,
            ["last"] = true,
        };
        await store.UpsertAsync([new Customer("c", fields, "Europe/Madrid"), new Customer("other", new Dictionary<string, FieldValue> { ["segment"] = "x" })]);
        var schema = CustomerFieldSchema.Create(
            new FieldDefinition("first", FieldType.String),
            new FieldDefinition("segment", FieldType.String),
            new FieldDefinition("n", FieldType.Number),
            new FieldDefinition("born", FieldType.DateTime),
            new FieldDefinition("last", FieldType.Boolean),
            new FieldDefinition("added", FieldType.Number));

        async Task Expect(string because)
        {
            var customer = (await store.GetAsync("c"))!;
            Assert.True(fields.Count == customer.Fields.Count, because);
            foreach (var (name, value) in fields)
            {
                Assert.True(value == customer.GetField(name), $"{because}: field {name}");
            }

            Assert.Equal("Europe/Madrid", customer.TimeZoneId);
            var slots = new FieldValue[schema.Fields.Count];
            Assert.True(store.FillSlots("c", schema, slots, out var zone));
            Assert.Equal(global::Journeys.Conditions.CustomerSlots.ToArray(customer, schema), slots);
            Assert.Equal("Europe/Madrid", zone);
            Assert.Equal((FieldValue)"x", (await store.GetAsync("other"))!.GetField("segment"));
        }

        void Update(string name, FieldValue value)
        {
            lock (store.SyncRoot)
            {
                store.ApplyFieldUpdatesLocked([new CustomerFieldUpdate("c", name, value)]);
            }

            if (value.IsNull)
            {
                fields.Remove(name);
            }
            else
            {
                fields[name] = value;
            }
        }

        Update("segment", "welcomed");
        await Expect("shorter value, in the middle of the record");
        Update("segment", new string('w', 300));
        await Expect("longer value, the record no longer fits in place");
        Update("first", "Bea");
        Update("last", false);
        await Expect("the first and the last field");
        Update("n", 123_456.75);
        await Expect("another type of value");
        Update("added", 1d);
        await Expect("a field the customer did not have");

        // Another spelling of the name is the same field (names are case-insensitive), and the value is replaced.
        lock (store.SyncRoot)
        {
            store.ApplyFieldUpdatesLocked([new CustomerFieldUpdate("c", "SEGMENT", "upper")]);
        }

        fields["segment"] = "upper";
        await Expect("the name in another case");
        Update("segment", FieldValue.Null);
        await Expect("removed");

        // The value the customer already has: nothing is written. While a scan holds a snapshot no record may be
        // overwritten in place, so each write would append a new record (30,000 of ~60 bytes: more than one 1 MiB page).
        Update("first", "Cleo");
        var scan = store.ScanAsync().GetAsyncEnumerator();
        Assert.True(await scan.MoveNextAsync());
        var before = store.AllocatedBytes;
        for (var i = 0; i < 30_000; i++)
        {
            Update("first", "Cleo");
        }

        Assert.Equal(before, store.AllocatedBytes);
        await Expect("the same value again");
        await scan.DisposeAsync();
        Update("first", "Dora");
        await Expect("a new value after the scan");
    }

    [Fact]
    public async Task A_stage_finds_repeated_ids_exactly_under_colliding_hashes_and_commits_into_an_empty_then_a_filled_store()
    {
        var store = new InMemoryCustomerStore();
        var fieldIds = store.FieldIds(["plan", "score"]);
        var bigPlan = new string('p', 700_000); // records over a page's half: several pages, one record a page of its own
        var found = new List<(long Line, long First, string Id)>();
        var stage = new CustomerStage((line, first, id) => found.Add((line, first, id)));
        var expected = new List<(long Line, long First, string Id)>();
        var firstLine = new Dictionary<string, long>();
        var order = new List<string>();
        for (var i = 0; i < 1_500; i++)
        {
            var number = i * 7 % 1_100;
            var id = "c" + number;
            var line = 2L + (2 * i);
            var plan = i % 500 == 3 ? bigPlan : "p" + i;
            if (firstLine.TryGetValue(id, out var first))
            {
                expected.Add((line, first, id));
            }
            else
            {
                firstLine[id] = line;
                order.Add(id);
            }

            // Three hashes for all ids: every lookup walks a long run of other ids with the same hash.
            stage.Add(StoreRecord(id, fieldIds, plan, i), (uint)(number % 3), line);
            if (i == 700)
            {
                // An estimate of the rest of the file, mid-way: the table regrown with entries and rows pending.
                stage.Reserve(5_000);
            }
        }

        stage.Complete();
        Assert.Equal(expected, found);
        Assert.Equal((1_100, 400L), (stage.Count, stage.Duplicates));
        Assert.Equal(order, stage.Ids());

        // Into an empty store (with the store's hashes of the ids): the stage's table and rows become the store's.
        var real = new CustomerStage((_, _, id) => Assert.Fail($"{id} repeats"));
        for (var i = 0; i < 1_100; i++)
        {
            var id = "c" + i;
            var record = StoreRecord(id, fieldIds, i == 9 ? bigPlan : "p" + i, i);
            real.Add(record, (uint)System.IO.Hashing.XxHash3.HashToUInt64(record.AsSpan(0, IdLength(record))), i + 2);
        }

        real.Complete();
        Assert.Equal((1_100, 1_100), (store.CommitStage(real, fieldIds).Created, store.Count));
        Assert.Throws<InvalidOperationException>(() => store.CommitStage(real, fieldIds));
        AssertSame(new Customer("c9", [new("plan", bigPlan), new("score", 9d)]), await store.GetAsync("c9"));
        Assert.Equal(1_100, store.Count);

        // The store works on as usual: an upsert with a time zone, a delete, then a second stage over stored and new ids
        // (the general commit: a stored customer keeps its time zone and the fields the file has no column for).
        await store.UpsertAsync([new Customer("c5", [new("plan", "x"), new("vip", true)], "Europe/Madrid")]);
        Assert.True(await store.DeleteAsync("c6"));
        var second = new CustomerStage((_, _, id) => Assert.Fail($"{id} repeats"));
        foreach (var (id, i) in new[] { ("c5", 50), ("c6", 60), ("new", 70), ("c7", 80) })
        {
            var record = StoreRecord(id, fieldIds, id == "c7" ? null : "q" + i, i);
            second.Add(record, (uint)System.IO.Hashing.XxHash3.HashToUInt64(record.AsSpan(0, IdLength(record))), i);
        }

        second.Complete();
        var result = store.CommitStage(second, fieldIds);
        Assert.Equal((2, 2), (result.Created, result.Updated));
        AssertSame(new Customer("c5", [new("plan", "q50"), new("score", 50d), new("vip", true)], "Europe/Madrid"), await store.GetAsync("c5"));
        AssertSame(new Customer("c6", [new("plan", "q60"), new("score", 60d)]), await store.GetAsync("c6"));
        AssertSame(new Customer("new", [new("plan", "q70"), new("score", 70d)]), await store.GetAsync("new"));
        AssertSame(new Customer("c7", [new("score", 80d)]), await store.GetAsync("c7"));
        AssertSame(new Customer("c8", [new("plan", "p8"), new("score", 8d)]), await store.GetAsync("c8"));
        Assert.Equal(1_101, store.Count);
        var scanned = 0;
        await foreach (var customer in store.ScanAsync())
        {
            scanned++;
        }

        Assert.Equal(1_101, scanned);
        Assert.Equal(["c5", "c6", "new", "c7"], second.Ids());
    }

    /// <summary>A record as the import stages it: the id, no time zone, plan (left out when null) and score.</summary>
    private static byte[] StoreRecord(string id, int[] fieldIds, string? plan, double score)
    {
        var record = new RecordBuffer();
        CustomerRecordCodec.WriteString(record, id);
        record.WriteByte(0);
        record.WriteVarint(plan is null ? 1UL : 2UL);
        if (plan is not null)
        {
            record.WriteVarint((ulong)fieldIds[0]);
            CustomerRecordCodec.WriteValue(record, plan);
        }

        record.WriteVarint((ulong)fieldIds[1]);
        CustomerRecordCodec.WriteValue(record, score);
        return record.WrittenSpan.ToArray();
    }

    private static int IdLength(ReadOnlySpan<byte> record)
    {
        var position = 0;
        CustomerRecordCodec.ReadStringBytes(record, ref position, out _);
        return position;
    }

    private static void AssertSame(Customer? expected, Customer? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is null || actual is null)
        {
            return;
        }

        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.TimeZoneId, actual.TimeZoneId);
        Assert.Equal(expected.Fields.OrderBy(f => f.Key, StringComparer.OrdinalIgnoreCase), actual.Fields.OrderBy(f => f.Key, StringComparer.OrdinalIgnoreCase));
    }

    private static Dictionary<string, FieldValue> RandomFields(Random random, string[] names)
    {
        var fields = new Dictionary<string, FieldValue>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            if (random.Next(2) == 0)
            {
                fields[name] = RandomValue(random, name);
            }
        }

        return fields;
    }

    private static FieldValue RandomValue(Random random, string name) => name switch
    {
        "plan" => new string('p', random.Next(0, 300)),
        "score" => random.Next(2) == 0 ? random.Next(-1000, 1000) : random.NextDouble() * 1e6,
        "vip" => random.Next(2) == 0,
        _ => FieldValue.FromStringList(Enumerable.Range(0, random.Next(4)).Select(i => "t" + i)),
    };
}
