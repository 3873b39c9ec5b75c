using Journeys.Building;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Audiences;

namespace Journeys.WebApi;

/// <summary>The sample's seed: 20 customers and the "welcome-tips" journey, activated.</summary>
internal static class SeedData
{
    public const string JourneyId = "welcome-tips";

    public static readonly Campaign[] Campaigns =
    [
        new("tips", Channel.Push, "Three tips to get started"),
        new("vip-tips", Channel.Push, "Tips for our VIPs"),
        new("reminder", Channel.Email, "Did you see our tips?"),
    ];

    public static JourneyDefinition Journey() => JourneyBuilder.Create(JourneyId, "Welcome tips")
        .EnterAllCustomers()
        .ConvertOn("purchase")
        .Steps(p => p
            .Filter(
                f => f
                    .When(Condition.Eq("vip", true), vip => vip
                        .Send(Channel.Push, "vip-tips", id: "vip-push")
                        .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(3), w => w
                            .CorrelatedTo("vip-push")
                            .OnEvent(c => c.Exit("clicked", id: "vip-clicked"))
                            .OnTimeout(t => t.Exit("ignored", id: "vip-ignored")), id: "vip-wait"))
                    .Otherwise(o => o
                        .Send(Channel.Push, "tips", id: "tips-push")
                        .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(3), w => w
                            .CorrelatedTo("tips-push")
                            .OnEvent(c => c.Exit("clicked", id: "tips-clicked"))
                            .OnTimeout(t => t.Send(Channel.Email, "reminder", id: "reminder-email").Exit("reminded", id: "reminded")), id: "tips-wait")),
                id: "is-vip"))
        .Build();

    public static async Task SeedAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var manager = services.GetRequiredService<IJourneyManager>();
        if (await manager.GetAsync(JourneyId, cancellationToken) is not null)
        {
            return;
        }

        var audience = services.GetRequiredService<IAudienceManager>();
        await audience.DefineFieldAsync(new FieldDefinition("vip", FieldType.Boolean), cancellationToken);
        await audience.DefineFieldAsync(new FieldDefinition("firstName", FieldType.String), cancellationToken);
        await audience.PutCustomersAsync(
            [.. Enumerable.Range(1, 20).Select(i => new CustomerInput($"customer-{i:00}", new Dictionary<string, object?> { ["vip"] = i % 5 == 0, ["firstName"] = $"Name{i}" }))],
            cancellationToken);
        await manager.CreateAsync(Journey(), cancellationToken);
        await manager.ActivateAsync(JourneyId, cancellationToken);
    }
}
