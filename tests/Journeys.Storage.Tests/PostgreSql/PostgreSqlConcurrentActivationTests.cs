using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit.Abstractions;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// Hosts on one PostgreSQL schema (each its own data source, service provider, engine, activation lock and entry gate,
/// as separate processes have) activate one journey at once, or one activates it while another stops it. The journey
/// is saved active once with one intake (<see cref="IJourneyStore.SaveWithIntakeAsync"/>, under the journey's advisory
/// lock): the host whose save succeeds enrolls the audience before it returns, each customer once, and leaves no intake
/// pending; a host that read the draft too has its save refused (<see cref="JourneyConcurrencyException"/>), having
/// saved nothing; a host that read the journey after the save finds it active and enrolls nobody (docs/engine.md,
/// "Versions"). Each round uses a fresh journey; the database's rows are counted directly.
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlConcurrentActivationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Customers = 300;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _schema = PostgreSqlTestServer.NewSchema();
    private readonly List<Host> _hosts = [];

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            _hosts.Add(await Host.StartAsync(_schema, $"host-{i}"));
        }

        await _hosts[0].Manager.PutCustomersAsync([.. CustomerIds().Select(id => new Customer(id))]);
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await PostgreSqlTestServer.DropSchemaAsync(_schema);
    }

    [Fact]
    public async Task Three_hosts_that_all_read_the_draft_save_it_active_once_and_the_winner_enrolls_each_customer_once()
    {
        // Each activation's first read of the journey waits until all three have read it: all three read the draft, and
        // their saves race on the journey's advisory lock.
        for (var round = 0; round < 6; round++)
        {
            var journeyId = await CreateAsync($"read-together-{round}", list: round % 2 == 1);
            var together = new ReadTogether(_hosts.Count);
            var results = await RaceAsync(_hosts.Select(h => Activation(h, journeyId, together)));

            var winner = Assert.Single(results, r => r.Refused is null);
            Assert.Equal(Customers, winner.Value.Enrolled);
            Assert.Equal(_hosts.Count - 1, results.Count(r => r.Refused is not null));
            await AssertActiveWithEachCustomerOnceAsync(journeyId);
        }
    }

    [Fact]
    public async Task Three_hosts_activating_one_journey_at_once_enroll_each_customer_once_and_every_other_host_is_refused_or_finds_it_active()
    {
        // Released together, not held: a host may read the draft (its save then refused) or the journey already active.
        var refused = 0;
        for (var round = 0; round < 8; round++)
        {
            var journeyId = await CreateAsync($"at-once-{round}", list: round % 2 == 1);
            var results = await RaceAsync(_hosts.Select(h => Activation(h, journeyId, null)));

            Assert.Single(results, r => r.Refused is null && r.Value.Enrolled == Customers);
            foreach (var (journey, enrolled) in results.Where(r => r.Refused is null && r.Value.Enrolled != Customers).Select(r => r.Value))
            {
                Assert.Equal((0, JourneyStatus.Active), (enrolled, journey.Journey.Status));
            }

            refused += results.Count(r => r.Refused is not null);

            // The journey was saved active once: each activation that succeeded returns that save's record (the one that
            // found the journey active returns what it read), none a save of its own that a later one replaced.
            var active = await AssertActiveWithEachCustomerOnceAsync(journeyId);
            Assert.All(results.Where(r => r.Refused is null), r => Assert.Equal(active.ETag, r.Value.Journey.ETag));
        }

        output.WriteLine($"of 16 losing activations, {refused} were refused (read the draft) and {16 - refused} found the journey active");
    }

    [Fact]
    public async Task A_stop_racing_an_activation_on_another_host_leaves_the_journey_active_with_each_customer_once_or_stopped_with_nobody_running()
    {
        // Even rounds: both read the draft first, so one of the two saves is refused. Odd rounds: the stop starts a little
        // later each time, to land before, during and after the activation's intake.
        var outcomes = new List<string>();
        for (var round = 0; round < 10; round++)
        {
            var journeyId = await CreateAsync($"stop-{round}", list: round % 4 >= 2);
            var stopping = _hosts[1].Manager;
            var together = round % 2 == 0 ? new ReadTogether(2) : null;
            var delay = TimeSpan.FromMilliseconds(round / 2 * 15);
            var activation = Attempt(Task.Run(Activation(_hosts[0], journeyId, together)));
            var stop = Attempt(Task.Run(async () =>
            {
                await Task.Delay(together is null ? delay : TimeSpan.Zero);
                return await Wrap(together, () => stopping.StopAsync(journeyId).AsTask())();
            }));
            var (activated, stopped) = (await activation, await stop);

            Assert.False(activated.Refused is not null && stopped.Refused is not null, "both the activation and the stop were refused");
            if (together is not null)
            {
                Assert.True(activated.Refused is not null || stopped.Refused is not null, "both read the draft, yet both saves succeeded");
            }

            var status = (await stopping.GetAsync(journeyId))!.Journey.Status;
            outcomes.Add($"round {round}: {(activated.Refused is null ? $"activated ({activated.Value.Enrolled})" : "activation refused")}/{(stopped.Refused is null ? $"stopped ({stopped.Value.Cancelled})" : "stop refused")} → {status}");
            if (status == JourneyStatus.Active)
            {
                // The stop was refused (or came first, reading the draft, and the activation then read it stopped).
                Assert.Null(activated.Refused);
                Assert.Equal(Customers, activated.Value.Enrolled);
                await AssertActiveWithEachCustomerOnceAsync(journeyId);
            }
            else
            {
                Assert.Equal(JourneyStatus.Stopped, status);
                Assert.Null(stopped.Refused);
                var state = await StateAsync(journeyId);
                Assert.Equal((1, 0), (state.Versions, state.Intakes));
                Assert.All(state.PerCustomer.Values, c => Assert.Equal((1, 0), c));
                Assert.True(state.PerCustomer.Count <= Customers);
            }
        }

        output.WriteLine(string.Join(Environment.NewLine, outcomes));
    }

    private static IEnumerable<string> CustomerIds() => Enumerable.Range(0, Customers).Select(i => $"c{i:D4}");

    private static Func<Task<T>> Wrap<T>(ReadTogether? together, Func<Task<T>> call) => together is null ? call : together.Wrap(call);

    private static Func<Task<(JourneyRecord Journey, int Enrolled)>> Activation(Host host, string journeyId, ReadTogether? together) =>
        Wrap(together, () => host.Manager.ActivateAsync(journeyId).AsTask());

    /// <summary>Creates a draft whose audience is every customer, or (<paramref name="list"/>) a list of all of them; its id.</summary>
    private async Task<string> CreateAsync(string journeyId, bool list)
    {
        var builder = JourneyBuilder.Create(journeyId, journeyId);
        builder = list ? builder.EnterFromList(CustomerIds()) : builder.EnterAllCustomers();
        await _hosts[2].Manager.CreateAsync(builder.Steps(p => p.Delay(TimeSpan.FromDays(1), id: "wait")).Build());
        return journeyId;
    }

    /// <summary>Starts every call at once (released together once all are scheduled) and waits (bounded) for all of them.</summary>
    private static async Task<Attempted<T>[]> RaceAsync<T>(IEnumerable<Func<Task<T>>> calls)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = calls.Select(call => Attempt(Task.Run(async () =>
        {
            await start.Task;
            return await call();
        }))).ToArray();
        start.SetResult();
        return await Task.WhenAll(attempts);
    }

    private static async Task<Attempted<T>> Attempt<T>(Task<T> call)
    {
        try
        {
            return new(await call.WaitAsync(Patience), null);
        }
        catch (JourneyConcurrencyException refused)
        {
            return new(default!, refused);
        }
    }

    /// <summary>The journey is active at version 1 (one row), no intake is pending, and each customer entered it once (and is counted once) and still runs; its record.</summary>
    private async Task<JourneyRecord> AssertActiveWithEachCustomerOnceAsync(string journeyId)
    {
        var record = (await _hosts[1].Manager.GetAsync(journeyId))!;
        Assert.Equal((JourneyStatus.Active, 1), (record.Journey.Status, record.Journey.Version));
        var state = await StateAsync(journeyId);
        Assert.Equal((1, 0), (state.Versions, state.Intakes));
        Assert.Equal(Customers, state.PerCustomer.Count);
        Assert.All(state.PerCustomer.Values, c => Assert.Equal((1, 1), c));

        // The engines (on any host) count each enrollment's entry when they first step it.
        var manager = _hosts[1].Manager;
        long Entered() => manager.GetStatisticsAsync(journeyId).AsTask().GetAwaiter().GetResult().Get(StatisticCounter.Entered);
        TwoHosts.Eventually(() => Entered() >= Customers, "the engines' first step of every enrollment");
        Assert.Equal(Customers, Entered());
        return record;
    }

    /// <summary>The journey's rows: its versions, its pending intakes, and per customer its enrollments and how many of them still run.</summary>
    private async Task<StoredState> StateAsync(string journeyId)
    {
        await using var dataSource = PostgreSqlTestServer.CreateDataSource();
        await using var counts = dataSource.CreateCommand(
            $"SELECT (SELECT count(*) FROM {_schema}.journeys WHERE journey_id = $1), (SELECT count(*) FROM {_schema}.journey_intakes WHERE journey_id = $1)");
        counts.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
        int versions, intakes;
        await using (var reader = await counts.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            (versions, intakes) = ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
        }

        await using var enrollments = dataSource.CreateCommand(
            $"SELECT customer_id, count(*), count(*) FILTER (WHERE status IN ($2, $3)) FROM {_schema}.enrollments WHERE journey_id = $1 GROUP BY customer_id");
        enrollments.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
        enrollments.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)EnrollmentStatus.Active });
        enrollments.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)EnrollmentStatus.Waiting });
        var perCustomer = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        await using (var reader = await enrollments.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                perCustomer[reader.GetString(0)] = ((int)reader.GetInt64(1), (int)reader.GetInt64(2));
            }
        }

        return new(versions, intakes, perCustomer);
    }

    private readonly record struct Attempted<T>(T Value, JourneyConcurrencyException? Refused);

    private sealed record StoredState(int Versions, int Intakes, Dictionary<string, (int Enrollments, int Running)> PerCustomer);

    /// <summary>
    /// Calls (<see cref="Wrap{T}"/>) whose first read of a journey (through <see cref="ReadTogetherStore"/>) waits until each
    /// of the <paramref name="parties"/> has read it: all of them read it as it was before any of them saved it.
    /// </summary>
    private sealed class ReadTogether(int parties)
    {
        private static readonly AsyncLocal<Party?> Current = new();
        private readonly int _parties = parties;
        private readonly TaskCompletionSource _allRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;

        public Func<Task<T>> Wrap<T>(Func<Task<T>> call) => async () =>
        {
            Current.Value = new Party(this);
            return await call();
        };

        /// <summary>Called after each read of a journey: the first of a party's calls waits for the others' (bounded).</summary>
        public static async ValueTask AfterReadAsync(CancellationToken cancellationToken)
        {
            if (Current.Value is { Read: false } party)
            {
                party.Read = true;
                var together = party.Together;
                if (Interlocked.Increment(ref together._reads) == together._parties)
                {
                    together._allRead.TrySetResult();
                }

                await together._allRead.Task.WaitAsync(Patience, cancellationToken);
            }
        }

        private sealed class Party(ReadTogether together)
        {
            public ReadTogether Together { get; } = together;

            public bool Read { get; set; }
        }
    }

    /// <summary>The host's PostgreSQL journey store, whose reads of a journey wait as <see cref="ReadTogether"/> says.</summary>
    private sealed class ReadTogetherStore(IJourneyStore inner) : DelegatingJourneyStore(inner)
    {
        public override async ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default)
        {
            var read = await InnerStore.GetAsync(journeyId, cancellationToken);
            await ReadTogether.AfterReadAsync(cancellationToken);
            return read;
        }
    }

    /// <summary>A running host of the schema: its own data source and services, its hosted services (engine, intake runner, <c>LISTEN</c>) started.</summary>
    private sealed class Host : IAsyncDisposable
    {
        private readonly NpgsqlDataSource _dataSource = PostgreSqlTestServer.CreateDataSource();
        private IHostedService[] _hosted = [];

        private Host(string schema, string owner) =>
            Services = TwoHosts.Services(_dataSource, schema, owner, new RecordingChannelSender(), [], extend: s =>
            {
                var stored = s.Last(d => d.ServiceType == typeof(IJourneyStore));
                s.AddSingleton<IJourneyStore>(sp => new ReadTogetherStore((IJourneyStore)stored.ImplementationFactory!(sp)));
            });

        public ServiceProvider Services { get; }

        public IJourneyManager Manager => Services.GetRequiredService<IJourneyManager>();

        public static async Task<Host> StartAsync(string schema, string owner)
        {
            var host = new Host(schema, owner);
            host._hosted = await TwoHosts.StartAsync(host.Services);
            return host;
        }

        public async ValueTask DisposeAsync()
        {
            await TwoHosts.StopAsync(_hosted);
            await Services.DisposeAsync();
            await _dataSource.DisposeAsync();
        }
    }
}
