using Journeys.Audiences;

namespace Journeys.Sendings;

/// <summary>The outcome of <see cref="ISendingManager.SendToCsvAsync"/>: the import of the file's customers, then the sending to them.</summary>
/// <param name="Import">The import report (rows read, customers created and updated, rows rejected in <see cref="CsvImportMode.ImportValidRows"/> mode).</param>
/// <param name="Sending">The sending, once the file's customers are enrolled (messages are sent in the background).</param>
public sealed record CsvSendingResult(AudienceReport Import, SendingStatus Sending);
