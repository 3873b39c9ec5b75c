namespace Journeys.Messaging;

/// <summary>Thrown by the connect callback when a webhook host resolves to no address it may reach.</summary>
internal sealed class WebhookAddressRefusedException : IOException
{
    public WebhookAddressRefusedException()
    {
    }

    public WebhookAddressRefusedException(string message)
        : base(message)
    {
    }

    public WebhookAddressRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
