namespace Journeys.Model;

/// <summary>How long a <see cref="DelayNode"/> holds a customer, or until when.</summary>
public abstract record DelaySpec
{
    private protected DelaySpec()
    {
    }
}
