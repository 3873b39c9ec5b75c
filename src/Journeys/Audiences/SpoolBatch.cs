namespace Journeys.Audiences;

/// <summary>Rows read back from an <see cref="ImportSpool"/>: where each starts in <see cref="Data"/> and how long it is.</summary>
internal sealed class SpoolBatch
{
    public byte[] Data { get; set; } = [];

    public List<(int Start, int Length)> Rows { get; } = [];
}
