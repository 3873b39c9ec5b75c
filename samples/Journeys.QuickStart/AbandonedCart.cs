using Journeys.Building;
using Journeys.Model;
using Journeys.Runtime;

namespace Journeys.QuickStart;

/// <summary>The abandoned-cart journey, its customer fields and its campaigns.</summary>
internal static class AbandonedCart
{
    public const string JourneyId = "abandoned-cart";

    /// <summary>The CRM hook. No webhook options are configured in this sample, so every call fails at once.</summary>
    public const string CrmUrl = "https://crm.example.com/hooks/cart";

    public static CustomerFieldSchema Schema { get; } = CustomerFieldSchema.Create(
        new FieldDefinition("firstName", FieldType.String),
        new FieldDefinition("email", FieldType.String),
        new FieldDefinition("vip", FieldType.Boolean, false));

    public static Campaign[] Campaigns { get; } =
    [
        new("vip-offer", Channel.WhatsApp, "Hi {{name}}, your VIP discount is waiting."),
        new("cart-reminder", Channel.Push, "{{name}}, you left something in your cart"),
        new("cart-email", Channel.Email, "Dear {{name}}, your cart misses you."),
        new("cart-sms", Channel.Sms, "Your cart is waiting."),
    ];

    /// <summary>
    /// Enter on <c>cart_abandoned</c>, convert on <c>purchase</c>, re-enter after 7 days. After an hour, VIPs get a
    /// WhatsApp offer; the others get a push and, if they do not click it within a day, an e-mail or an SMS (50/50).
    /// Everyone who is still in the journey is then sent to the CRM; when that fails, they exit as "crm-unreachable".
    /// </summary>
    public static JourneyDefinition Build() => JourneyBuilder.Create(JourneyId, "Abandoned cart")
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
                        .WaitForEvent(
                            FeedbackEvents.Clicked, // "clicked": the push provider's click feedback
                            TimeSpan.FromDays(1),
                            w => w
                                .CorrelatedTo("cart-push")
                                .OnTimeout(t => t.RandomSplit(
                                    s => s
                                        .Path(50, e => e.Send(Channel.Email, "cart-email", v => v.Bind("name", "firstName", "friend"), id: "cart-email"))
                                        .Path(50, m => m.Send(Channel.Sms, "cart-sms", id: "cart-sms")),
                                    id: "email-or-sms")),
                            id: "wait-click")),
                id: "is-vip")
            .Webhook(
                CrmUrl,
                h => h
                    .Fields("email")
                    .OnFailure(f => f.Exit("crm-unreachable", id: "crm-unreachable")),
                id: "crm-sync"))
        .Build();
}
