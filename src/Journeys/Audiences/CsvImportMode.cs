namespace Journeys.Audiences;

/// <summary>What a CSV import does with bad rows.</summary>
public enum CsvImportMode
{
    /// <summary>The whole file is checked first; if any row is bad, nothing is written and <see cref="CsvImportException"/> lists the problems (the default).</summary>
    AllOrNothing = 0,

    /// <summary>The good rows are imported; the bad ones are left out and listed in <see cref="AudienceReport.Problems"/>.</summary>
    ImportValidRows = 1,
}
