using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Journeys.Model;

namespace Journeys.Storage.InMemory;

/// <content>
/// The outbox's messages by enrollment, for the withdrawals of a commit (a conversion, a retargeting node left by its
/// conversion event): it looks up its enrollments' messages instead of scanning the outbox, which may hold a night's
/// reminders held for quiet hours.
/// </content>
internal sealed partial class InMemoryEngineStore : IWithdrawalCounter
{
    // The placed messages (in the queue, the due heap or the lease heap) of each enrollment that has any; a commit's own
    // messages join when it places them, so its withdrawals never take them. Under the outbox lock. A value is a struct
    // with room for two entries: the dictionary's slots are reused as messages come and go, so nothing is allocated per
    // message unless an enrollment has more than two pending.
    private readonly Dictionary<Guid, EnrollmentMessages> _outboxByEnrollment = [];
    private long _withdrawingCommits;

    /// <inheritdoc />
    public long WithdrawingCommits => Volatile.Read(ref _withdrawingCommits);

    // A message placed where claims find it (the caller holds the outbox lock).
    private void IndexOutboxLocked(OutboxEntry entry)
    {
        if (entry.EnrollmentId is { } id)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_outboxByEnrollment, id, out _).Add(entry);
        }
    }

    // A placed message that left the outbox (sent, failed for good, cancelled, withdrawn; the caller holds the outbox lock).
    private void UnindexOutboxLocked(OutboxEntry entry)
    {
        if (entry.EnrollmentId is { } id)
        {
            ref var messages = ref CollectionsMarshal.GetValueRefOrNullRef(_outboxByEnrollment, id);
            if (!Unsafe.IsNullRef(ref messages) && messages.Remove(entry) && messages.IsEmpty)
            {
                _outboxByEnrollment.Remove(id);
            }
        }
    }

    // CommitAsync's withdrawals (the caller holds the store and outbox locks, after the checks, before this commit's
    // messages are placed): an applied checkpoint that converts takes all of its enrollment's messages, one that names
    // nodes (EnrollmentCheckpoint.WithdrawNodeIds) those of its enrollment made at those nodes; leased ones included (a
    // late result for one is then ignored). Each counts as Withdrawn at its node.
    private void WithdrawLocked(IReadOnlyList<EnrollmentCheckpoint> checkpoints, bool[] applied)
    {
        if (_outboxByEnrollment.Count == 0)
        {
            return;
        }

        List<OutboxEntry>? withdrawn = null;
        for (var i = 0; i < checkpoints.Count; i++)
        {
            if (!applied[i])
            {
                continue;
            }

            var checkpoint = checkpoints[i];
            var all = checkpoint.Status == EnrollmentStatus.Converted;
            if ((all || checkpoint.WithdrawNodeIds.Count > 0)
                && _outboxByEnrollment.TryGetValue(checkpoint.Identity.Id, out var messages))
            {
                messages.Collect(all ? null : checkpoint.WithdrawNodeIds, ref withdrawn);
            }
        }

        if (withdrawn is null)
        {
            return;
        }

        RemoveOutboxLocked(withdrawn);
        var counts = new List<StatisticDelta>(withdrawn.Count);
        foreach (var entry in withdrawn)
        {
            var message = entry.Message;
            if (message.JourneyId is { } journey && message.NodeId is { } node)
            {
                counts.Add(new StatisticDelta(journey, message.JourneyVersion, node, StatisticCounter.Withdrawn));
            }
        }

        _commitTally.Add(counts);
        Interlocked.Increment(ref _withdrawingCommits);
    }

    /// <summary>An enrollment's placed messages: two inline, the rest in a list.</summary>
    private struct EnrollmentMessages
    {
        private OutboxEntry? _first;
        private OutboxEntry? _second;
        private List<OutboxEntry>? _more;

        public readonly bool IsEmpty => _first is null && _second is null && _more is not { Count: > 0 };

        public void Add(OutboxEntry entry)
        {
            if (_first is null)
            {
                _first = entry;
            }
            else if (_second is null)
            {
                _second = entry;
            }
            else
            {
                (_more ??= []).Add(entry);
            }
        }

        public bool Remove(OutboxEntry entry)
        {
            if (ReferenceEquals(_first, entry))
            {
                _first = null;
                return true;
            }

            if (ReferenceEquals(_second, entry))
            {
                _second = null;
                return true;
            }

            return _more is not null && _more.Remove(entry);
        }

        // Adds the messages made at one of the nodes (all of them for null) to the list.
        public readonly void Collect(IReadOnlyList<string>? nodeIds, ref List<OutboxEntry>? into)
        {
            Take(_first, nodeIds, ref into);
            Take(_second, nodeIds, ref into);
            if (_more is not null)
            {
                foreach (var entry in _more)
                {
                    Take(entry, nodeIds, ref into);
                }
            }
        }

        private static void Take(OutboxEntry? entry, IReadOnlyList<string>? nodeIds, ref List<OutboxEntry>? into)
        {
            if (entry is not null && (nodeIds is null || (entry.Message.NodeId is { } node && Names(nodeIds, node))))
            {
                (into ??= []).Add(entry);
            }
        }

        private static bool Names(IReadOnlyList<string> nodeIds, string node)
        {
            for (var i = 0; i < nodeIds.Count; i++)
            {
                if (string.Equals(nodeIds[i], node, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
