namespace Journeys.Model;

/// <summary>Every customer in the customer store enters when the journey is activated, and new customers as they are added.</summary>
public sealed record AllCustomersEntry : JourneyEntry;
