using Journeys.Storage;

namespace Journeys.Runtime;

/// <summary>
/// A shard's executor checkpoints, refilled batch after batch (<see cref="EnrollmentCheckpoint.Refill"/>) instead of one
/// new checkpoint per run: only for the bare in-memory store, which reads a commit's checkpoints during the call and
/// keeps none of them. The shard takes one per run of a batch and releases them all once the batch is done, so they hold
/// nothing of it (its items and messages die young) while the shard waits for work.
/// </summary>
internal sealed class ReusedCheckpoints
{
    private readonly List<EnrollmentCheckpoint> _checkpoints = [];
    private int _taken;

    /// <summary>A checkpoint to fill, not taken since the last <see cref="ReleaseAll"/>.</summary>
    public EnrollmentCheckpoint Next()
    {
        if (_taken == _checkpoints.Count)
        {
            _checkpoints.Add(EnrollmentCheckpoint.Reusable());
        }

        return _checkpoints[_taken++];
    }

    /// <summary>Releases every checkpoint taken (the batch that used them is committed, or given up), for the next batch.</summary>
    public void ReleaseAll()
    {
        for (var i = 0; i < _taken; i++)
        {
            _checkpoints[i].Release();
        }

        _taken = 0;
    }
}
