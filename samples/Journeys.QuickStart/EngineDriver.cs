using System.Diagnostics;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.QuickStart;

/// <summary>
/// Drives the hosted engine on a fake clock: publishes events and advances time, and after each waits (in real time,
/// bounded) until the engine has caught up. Caught up means: no enrollment is moving, none has a due timer, none
/// waits for a webhook result, every published event that should wake an enrollment has been read by it, and every
/// message of a send node has reached its sender. The clock only moves once the engine has caught up, so every step
/// happens at its simulated time and every run gives the same figures.
/// </summary>
internal sealed class EngineDriver(
    FakeTimeProvider clock,
    IJourneyManager manager,
    IEnrollmentStore enrollments,
    JourneyDefinition journey,
    IReadOnlyList<SimulatedChannelSender> senders)
{
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan OversleepAfter = TimeSpan.FromSeconds(2);

    // Customers who may have an enrollment that has not ended.
    private readonly HashSet<string> _live = new(StringComparer.Ordinal);

    // For a customer found settled (ended, or waiting), its earliest timer, or null when it waits for events only.
    // Only a timer or an event can move a settled customer, so after moving the clock only those whose timer is due
    // need reading again (events go through PublishAsync, which reads their customers): on a durable store that is a
    // few reads per step instead of one per live customer.
    private readonly Dictionary<string, DateTimeOffset?> _settledUntil = new(StringComparer.Ordinal);
    private readonly string[] _sendNodes = [.. journey.Nodes.OfType<SendNode>().Select(n => n.Id)];
    private readonly HashSet<string> _webhookNodes = [.. journey.Nodes.OfType<WebhookNode>().Select(n => n.Id)];

    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>Publishes events at the current time and waits until the engine has handled them.</summary>
    public async Task PublishAsync(IReadOnlyList<CustomerEvent> events)
    {
        // What each customer's enrollments looked like before: an event is handled when the cursor of an enrollment
        // it wakes has moved on. Nothing runs in between: the engine has caught up and the clock stands still.
        var before = new Dictionary<string, (IReadOnlyList<Enrollment> Enrollments, HashSet<string> Names)>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (!before.TryGetValue(e.CustomerId, out var entry))
            {
                entry = (await enrollments.GetByCustomerAsync(e.CustomerId), new HashSet<string>(StringComparer.Ordinal));
                before.Add(e.CustomerId, entry);
            }

            entry.Names.Add(e.Name);
            _live.Add(e.CustomerId);
        }

        await manager.PublishAsync(events);
        await CatchUpAsync([.. before.Keys], before, "publishing events");
    }

    /// <summary>Moves the clock forward and waits until the engine has run everything that became due.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        clock.Advance(by);
        var now = Now;
        await CatchUpAsync([.. _live.Where(c => !_settledUntil.TryGetValue(c, out var until) || until <= now)], null, "advancing the clock");
    }

    private async Task CatchUpAsync(
        List<string> customers,
        Dictionary<string, (IReadOnlyList<Enrollment> Enrollments, HashSet<string> Names)>? before,
        string what)
    {
        var started = Stopwatch.GetTimestamp();
        var lastProgress = started;
        var busyBefore = int.MaxValue;
        while (true)
        {
            var stillBusy = new List<string>();
            foreach (var customerId in customers)
            {
                var current = await enrollments.GetByCustomerAsync(customerId);
                if (current.All(e => e.IsEnded))
                {
                    _live.Remove(customerId);
                }

                if (current.Any(e => IsBusy(e, before?.GetValueOrDefault(customerId))))
                {
                    stillBusy.Add(customerId);
                    _settledUntil.Remove(customerId);
                }
                else
                {
                    _settledUntil[customerId] = current.Where(e => !e.IsEnded && e.WakeAt is not null).Min(e => e.WakeAt);
                }
            }

            customers = stillBusy;
            if (customers.Count == 0 && await SendersCaughtUpAsync())
            {
                return;
            }

            if (customers.Count < busyBefore)
            {
                lastProgress = Stopwatch.GetTimestamp();
                busyBefore = customers.Count;
            }
            else if (Stopwatch.GetElapsedTime(lastProgress) > OversleepAfter && await enrollments.GetNextWakeAsync() <= Now)
            {
                // A timer is due and nobody claims it: the engine overslept. That is a bug; say so and stop.
                throw new InvalidOperationException($"The engine left a due timer unclaimed for {OversleepAfter.TotalSeconds} s at {Now:u}.");
            }

            if (Stopwatch.GetElapsedTime(started) > CatchUpTimeout)
            {
                throw new TimeoutException(
                    $"The engine did not catch up within {CatchUpTimeout.TotalSeconds} s after {what} at {Now:u}: " +
                    $"{customers.Count} customers still busy (first: {customers.FirstOrDefault() ?? "none"}), senders caught up: {await SendersCaughtUpAsync()}.");
            }

            await Task.Delay(1);
        }
    }

    private bool IsBusy(Enrollment e, (IReadOnlyList<Enrollment> Enrollments, HashSet<string> Names)? before)
    {
        if (e.IsEnded)
        {
            return false;
        }

        if (e.Status == EnrollmentStatus.Active || e.WakeAt <= Now)
        {
            return true; // moving, or its timer is due
        }

        if (e.CurrentNodeId is { } node && _webhookNodes.Contains(node))
        {
            return true; // the call's result comes back as soon as the dispatcher has made it
        }

        // A published event it was waiting for, which it has not read yet.
        var previous = before?.Enrollments.FirstOrDefault(p => p.Id == e.Id);
        return previous is not null
            && previous.EventCursor == e.EventCursor
            && before!.Value.Names.Any(name => previous.WakeEvents.Contains(name));
    }

    /// <summary>Every message of a send node has been sent and counted (its feedback is scheduled before it counts).</summary>
    private async Task<bool> SendersCaughtUpAsync()
    {
        var statistics = await manager.GetStatisticsAsync(journey.Id);
        foreach (var node in _sendNodes)
        {
            var sent = statistics.Get(node, StatisticCounter.Sent);
            var settled = sent + statistics.Get(node, StatisticCounter.Failed);
            if (statistics.Get(node, StatisticCounter.Entered) != settled || senders.Sum(s => s.SentBy(node)) != sent)
            {
                return false;
            }
        }

        return true;
    }
}
