namespace Journeys.Sqlite;

/// <summary>SQLite's <c>synchronous</c> setting for the store's connections (the database runs in WAL mode).</summary>
public enum SqliteSynchronousMode
{
    /// <summary>
    /// <c>NORMAL</c>: a commit survives a crash of the process; a power loss or OS crash may roll back the last commits,
    /// never corrupt the file. The default: the engine replays a lost step with the same idempotency keys.
    /// </summary>
    Normal = 0,

    /// <summary><c>FULL</c>: every commit is synced to disk before it returns, so it survives a power loss too (one more fsync per batch).</summary>
    Full = 1,
}
