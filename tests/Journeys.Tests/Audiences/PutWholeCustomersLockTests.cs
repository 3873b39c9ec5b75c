using Journeys.Audiences;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Journeys.Tests.Audiences.AudienceHost;

namespace Journeys.Tests.Audiences;

/// <summary>
/// <see cref="IJourneyManager.PutCustomersAsync"/> checks the values against the schema and writes them under the audience
/// manager's lock, as the audience manager's own puts do: a field's type changed by
/// <see cref="IAudienceManager.DefineFieldAsync"/> just after the put read the schema waits for the put, so no value of a
/// type the schema no longer had when it was written is stored.
/// </summary>
public sealed class PutWholeCustomersLockTests
{
    private static readonly AsyncLocal<bool> Armed = new();

    [Fact]
    public async Task A_field_type_change_made_between_the_schema_read_and_the_write_waits_for_the_write()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton(sp => new SchemaChangingStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        services.AddSingleton<ICustomerStore>(sp => sp.GetRequiredService<SchemaChangingStore>());
        services.AddJourneys();
        await using var provider = services.BuildServiceProvider();
        var audience = provider.GetRequiredService<IAudienceManager>();
        var store = provider.GetRequiredService<SchemaChangingStore>();
        await audience.DefineFieldAsync(new FieldDefinition("code", FieldType.String));

        // Right after the put has read the schema (code: string), the field becomes a number.
        Task<CustomerFieldSchema>? define = null;
        store.OnceAfterSchemaRead(() => define = audience.DefineFieldAsync(new FieldDefinition("code", FieldType.Number)).AsTask());
        Armed.Value = true;
        var (written, _) = await provider.GetRequiredService<IJourneyManager>().PutCustomersAsync([new Customer("c1", [new("code", "A-1")])]);
        Armed.Value = false;
        Assert.NotNull(define);
        await define;

        // The string went in while code was still a string field; the change came after it.
        Assert.Equal(1, written.Created);
        Assert.Equal(FieldType.String, store.TypeAtWrite);
        Assert.Equal(FieldType.Number, (await audience.GetFieldsAsync()).Fields.Single(f => f.Name == "code").Type);
    }

    /// <summary>Runs a hook once after the armed call's schema read, and notes the field's type in the store when customers are written.</summary>
    private sealed class SchemaChangingStore(ICustomerStore inner) : PassThroughCustomerStore(inner), ICustomerStore
    {
        private Action? _afterSchemaRead;

        public FieldType? TypeAtWrite { get; private set; }

        public new async ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default)
        {
            var schema = await Inner.GetSchemaAsync(cancellationToken);
            if (Armed.Value && Interlocked.Exchange(ref _afterSchemaRead, null) is { } hook)
            {
                hook();
            }

            return schema;
        }

        public new async ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default)
        {
            TypeAtWrite = (await Inner.GetSchemaAsync(cancellationToken)).Fields.Single(f => f.Name == "code").Type;
            return await Inner.UpsertAsync(customers, cancellationToken);
        }

        public void OnceAfterSchemaRead(Action hook) => _afterSchemaRead = hook;
    }
}
