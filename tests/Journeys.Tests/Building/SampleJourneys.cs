using Journeys.Building;

namespace Journeys.Tests.Building;

/// <summary>Journeys used by several tests.</summary>
internal static class SampleJourneys
{
    /// <summary>The abandoned-cart journey of the Foundation issue, written with the builder.</summary>
    public static JourneyDefinition AbandonedCart() =>
        JourneyBuilder.Create("abandoned-cart", "Abandoned cart")
            .EnterOnEvent("cart_abandoned")
            .ConvertOn("purchase")
            .ReEnterAfterCooldown(TimeSpan.FromDays(7))
            .Steps(p => p
                .Delay(TimeSpan.FromHours(1), id: "wait-1h")
                .Filter(
                    f => f
                        .When(Condition.Eq("vip", true), vip => vip
                            .Send(Channel.WhatsApp, "vip-offer", v => v.Bind("name", "firstName", "friend"), id: "vip-whatsapp"))
                        .Otherwise(other => other
                            .Send(Channel.Push, "cart-reminder", v => v.Bind("name", "firstName", "friend"), id: "cart-push")
                            .WaitForEvent("click", TimeSpan.FromDays(1), w => w
                                .CorrelatedTo("cart-push")
                                .OnTimeout(t => t.RandomSplit(s => s
                                    .Path(50, e => e.Send(Channel.Email, "cart-email", v => v.Bind("name", "firstName", "friend"), id: "cart-email"))
                                    .Path(50, sms => sms.Send(Channel.Sms, "cart-sms", id: "cart-sms")), id: "email-or-sms")),
                                id: "wait-click")),
                    id: "is-vip")
                .Webhook("https://crm.example.com/hooks/cart", h => h
                    .Fields("email", "firstName")
                    .OnFailure(f => f.Exit("crm-unreachable", id: "crm-failed")), id: "notify-crm"))
            .Build();

    public static CustomerFieldSchema Schema { get; } = CustomerFieldSchema.Create(
        new FieldDefinition("firstName", FieldType.String),
        new FieldDefinition("email", FieldType.String),
        new FieldDefinition("vip", FieldType.Boolean, false),
        new FieldDefinition("age", FieldType.Number),
        new FieldDefinition("birthDate", FieldType.DateTime),
        new FieldDefinition("tags", FieldType.StringList));

    public static CampaignCatalog Campaigns { get; } = CampaignCatalog.Create(
        new Campaign("vip-offer", Channel.WhatsApp, "Hi {{name}}, your VIP discount is waiting."),
        new Campaign("cart-reminder", Channel.Push, "{{name}}, you left something in your cart"),
        new Campaign("cart-email", Channel.Email, "Dear {{name}}, your cart misses you."),
        new Campaign("cart-sms", Channel.Sms, "Your cart is waiting: https://shop.example.com/cart"));
}
