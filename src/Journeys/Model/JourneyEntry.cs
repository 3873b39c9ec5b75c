namespace Journeys.Model;

/// <summary>Who enters a journey (its audience).</summary>
public abstract record JourneyEntry
{
    private protected JourneyEntry()
    {
    }
}
