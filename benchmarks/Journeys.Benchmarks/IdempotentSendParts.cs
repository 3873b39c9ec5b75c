using System.Globalization;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Benchmarks;

/// <summary>
/// The idempotency decorator's per-message cost on one thread, by thread CPU time and allocation per message
/// (<c>-- idempotent-parts messages rounds</c>), over no-op senders called directly (no pipeline): the plain no-op sender,
/// the single decorator (<see cref="IdempotentChannelSender"/>) over it, the batch decorator
/// (<see cref="IdempotentBatchChannelSender"/>) over <see cref="NullBatchSender"/> in batches of 16 and 256 with the
/// in-memory store's batch reserve (one lock per batch), and in batches of 256 over a store that has only the single-key
/// methods (the interface's default batch reserve, one call per key). Each part gets a fresh
/// <see cref="InMemoryIdempotencyKeyStore"/> holding every key, so every message is reserved (none a duplicate); the
/// parts' order alternates between rounds. The rows "null store" use a store that reserves every key and keeps nothing,
/// to show the decorators' own cost. Prints the median of the second half of the rounds. Load-independent.
/// </summary>
internal static class IdempotentSendParts
{
    public static Task RunAsync(int messages, int rounds)
    {
        var list = new OutboundMessage[messages];
        for (var i = 0; i < messages; i++)
        {
            list[i] = new OutboundMessage($"m{i}", $"k{i}", Channel.Email, "c", $"customer-{i}", "body", "j", 1, "n");
        }

        var results = new SendResult[256];
        var parts = new (string Name, Func<IIdempotencyKeyStore, long> Run)[]
        {
            ("no-op sender, no decorator", _ => Single(NullChannelSender.Instance, list)),
            ("single decorator, null store", _ => Single(new IdempotentChannelSender(NullChannelSender.Instance, NullKeyStore.Instance), list)),
            ("batch decorator, 16, null store", _ => Batches(new IdempotentBatchChannelSender(NullBatchSender.Instance, NullKeyStore.Instance), list, 16, results)),
            ("batch decorator, 256, null store", _ => Batches(new IdempotentBatchChannelSender(NullBatchSender.Instance, NullKeyStore.Instance), list, 256, results)),
            ("single decorator", store => Single(new IdempotentChannelSender(NullChannelSender.Instance, store), list)),
            ("batch decorator, batches of 16", store => Batches(new IdempotentBatchChannelSender(NullBatchSender.Instance, store), list, 16, results)),
            ("batch decorator, batches of 256", store => Batches(new IdempotentBatchChannelSender(NullBatchSender.Instance, store), list, 256, results)),
            ("batch of 256, store's default reserve", store => Batches(new IdempotentBatchChannelSender(NullBatchSender.Instance, new SingleKeyStore(store)), list, 256, results)),
        };

        var cpuByPart = parts.Select(_ => new List<double>()).ToArray();
        var bytesByPart = parts.Select(_ => new List<double>()).ToArray();
        for (var round = 1; round <= rounds; round++)
        {
            var report = round > rounds / 2;

            for (var p = 0; p < parts.Length; p++)
            {
                var index = round % 2 == 0 ? parts.Length - 1 - p : p;
                var (name, run) = parts[index];
                var store = new InMemoryIdempotencyKeyStore(messages, TimeSpan.FromHours(1));
                var thread = Environment.CurrentManagedThreadId;
                var cpu = ThreadCost.CpuNanoseconds();
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var sent = run(store);
                cpu = ThreadCost.CpuNanoseconds() - cpu;
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                if (sent != messages || Environment.CurrentManagedThreadId != thread)
                {
                    throw new InvalidOperationException($"{name}: {sent} of {messages} sent, or the thread changed.");
                }

                if (report)
                {
                    cpuByPart[index].Add(cpu / 1000.0 / messages);
                    bytesByPart[index].Add(allocated / (double)messages);
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{messages} messages per part, rounds {(rounds / 2) + 1}-{rounds} of {rounds} (order alternating), thread CPU per message median [min-max], bytes per message median:"));
        for (var p = 0; p < parts.Length; p++)
        {
            var cpus = cpuByPart[p].Order().ToArray();
            var bytes = bytesByPart[p].Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {parts[p].Name,-40} {cpus[cpus.Length / 2],7:F3} µs [{cpus[0]:F3}-{cpus[^1]:F3}], {bytes[bytes.Length / 2],6:F1} B"));
        }

        return Task.CompletedTask;
    }

    private static long Single(IChannelSender sender, OutboundMessage[] list)
    {
        var sent = 0L;
        foreach (var m in list)
        {
            var result = sender.SendAsync(m, default);
            if (!result.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("A send did not complete at once.");
            }

            sent += result.Result.Outcome == SendOutcome.Sent ? 1 : 0;
        }

        return sent;
    }

    private static long Batches(IdempotentBatchChannelSender sender, OutboundMessage[] list, int size, SendResult[] results)
    {
        var sent = 0L;
        for (var start = 0; start < list.Length; start += size)
        {
            var count = Math.Min(size, list.Length - start);
            var call = sender.SendBatchAsync(list.AsMemory(start, count), results.AsMemory(0, count), default);
            if (!call.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("A batch send did not complete at once.");
            }

            for (var i = 0; i < count; i++)
            {
                sent += results[i].Outcome == SendOutcome.Sent ? 1 : 0;
            }
        }

        return sent;
    }

    // A store that reserves every key and forgets nothing: the decorators' own cost, without a store's.
    private sealed class NullKeyStore : IIdempotencyKeyStore
    {
        public static NullKeyStore Instance { get; } = new();

        public ValueTask<bool> TryReserveAsync(string key, CancellationToken cancellationToken) => new(true);

        public ValueTask ReleaseAsync(string key, CancellationToken cancellationToken) => default;

        public ValueTask<int> TryReserveManyAsync(ReadOnlyMemory<string> keys, Memory<bool> reserved, CancellationToken cancellationToken)
        {
            reserved.Span[..keys.Length].Fill(true);
            return new(keys.Length);
        }
    }

    // A store with only the single-key methods: the batch decorator goes through the interface's default batch reserve.
    private sealed class SingleKeyStore(IIdempotencyKeyStore inner) : IIdempotencyKeyStore
    {
        public ValueTask<bool> TryReserveAsync(string key, CancellationToken cancellationToken) => inner.TryReserveAsync(key, cancellationToken);

        public ValueTask ReleaseAsync(string key, CancellationToken cancellationToken) => inner.ReleaseAsync(key, cancellationToken);
    }
}
