namespace Journeys.Serialization.Documents;

/// <summary>A weighted path.</summary>
internal sealed class RandomPathDocument
{
    public double? Weight { get; set; }

    public string? Next { get; set; }
}
