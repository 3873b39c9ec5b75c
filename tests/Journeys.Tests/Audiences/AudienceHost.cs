using System.Text;
using Journeys.Audiences;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Storage;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Audiences;

/// <summary>AddJourneys on the in-memory stores and a fake clock (the engine is not started: enrollments are only stored).</summary>
internal sealed class AudienceHost : IAsyncDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services;

    private AudienceHost(ServiceProvider services) => _services = services;

    public IAudienceManager Audience => _services.GetRequiredService<IAudienceManager>();

    public IJourneyManager Journeys => _services.GetRequiredService<IJourneyManager>();

    public ISendingManager Sendings => _services.GetRequiredService<ISendingManager>();

    public ICustomerStore Customers => _services.GetRequiredService<ICustomerStore>();

    public IEnrollmentStore Enrollments => _services.GetRequiredService<IEnrollmentStore>();

    /// <summary>A host with <see cref="SampleJourneys.Schema"/> (firstName, email, vip, age, birthDate, tags) and no customers.</summary>
    public static async Task<AudienceHost> CreateAsync(bool addUnknownFields = false)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
        services.AddJourneys(j => j.AddCampaigns(
            new Campaign("welcome", Channel.Email, "Welcome, {{name}}!"),
            new Campaign("tips", Channel.Push, "Tips for you"),
            new Campaign("vip-tips", Channel.Push, "VIP tips for you")));
        services.Configure<AudienceOptions>(o => o.AddUnknownFieldsAsStrings = addUnknownFields);
        var host = new AudienceHost(services.BuildServiceProvider());
        await host.Customers.SaveSchemaAsync(SampleJourneys.Schema);
        return host;
    }

    /// <summary>Every stored customer, in id order.</summary>
    public async Task<List<Customer>> AllCustomersAsync()
    {
        var all = new List<Customer>();
        await foreach (var customer in Customers.ScanAsync())
        {
            all.Add(customer);
        }

        return all;
    }

    /// <summary>Creates and activates a journey.</summary>
    public async Task ActivateAsync(JourneyDefinition journey)
    {
        await Journeys.CreateAsync(journey);
        await Journeys.ActivateAsync(journey.Id);
    }

    public static MemoryStream Csv(string text, bool bom = false) =>
        new([.. (bom ? Encoding.UTF8.GetPreamble() : []), .. Encoding.UTF8.GetBytes(text)]);

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
