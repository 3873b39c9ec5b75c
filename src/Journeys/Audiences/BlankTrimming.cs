namespace Journeys.Audiences;

/// <summary>Trimming of the spaces and tabs around a cell, without the general <c>Trim(values)</c>'s search per end.</summary>
internal static class BlankTrimming
{
    /// <summary>The span without leading and trailing spaces and tabs.</summary>
    public static ReadOnlySpan<byte> TrimBlank(this ReadOnlySpan<byte> span)
    {
        var start = 0;
        while (start < span.Length && span[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }

        var end = span.Length;
        while (end > start && span[end - 1] is (byte)' ' or (byte)'\t')
        {
            end--;
        }

        return span[start..end];
    }
}
