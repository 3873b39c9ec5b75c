using System.Globalization;
using Journeys.Messaging;
using Journeys.Model;
using Polly;

namespace Journeys.Benchmarks;

/// <summary>
/// The dispatcher's per-message send path on one thread, by thread CPU time and allocation per message
/// (<c>-- send-parts messages rounds</c>): the no-op sender called directly, then through the channel's resilience
/// pipeline as the engine builds it by default (<see cref="SendPipelineFactory"/>: retry, circuit breaker, timeout),
/// then through pipelines of one strategy each, to see which part of the pipeline costs what; then the batch variant
/// (<see cref="NullBatchSender"/> through <see cref="SendPipelineFactory.CreateBatch"/> with the default policy, one run per
/// batch, a reused <see cref="BatchSend"/> as the dispatcher's) in batches of 1, 16 and 256. Load-independent.
/// </summary>
internal static class SendParts
{
    public static async Task RunAsync(int messages, int rounds)
    {
        var channel = Channel.Email;
        var sender = NullChannelSender.Instance;
        var list = new OutboundMessage[messages];
        for (var i = 0; i < messages; i++)
        {
            list[i] = new OutboundMessage($"m{i}", $"k{i}", channel, "c", $"customer-{i}", "body", "j", 1, "n");
        }

        var defaults = SendPipelineFactory.Create(channel, new ChannelPolicyOptions(), TimeProvider.System, null);
        var noRetry = SendPipelineFactory.Create(channel, new ChannelPolicyOptions { MaxRetryAttempts = 0 }, TimeProvider.System, null);
        var timeoutOnly = new ResiliencePipelineBuilder<SendResult> { TimeProvider = TimeProvider.System }.AddTimeout(TimeSpan.FromSeconds(10)).Build();
        var breakerOnly = new ResiliencePipelineBuilder<SendResult> { TimeProvider = TimeProvider.System }.AddCircuitBreaker(new()).Build();
        var retryOnly = new ResiliencePipelineBuilder<SendResult> { TimeProvider = TimeProvider.System }.AddRetry(new()).Build();
        var empty = ResiliencePipeline<SendResult>.Empty;
        var batchPipeline = SendPipelineFactory.CreateBatch(channel, new ChannelPolicyOptions(), TimeProvider.System, null);
        int[] batchSizes = [1, 16, 256];
        var batches = batchSizes.Select(size => new BatchSend(NullBatchSender.Instance, size)).ToArray();
        using var stopping = new CancellationTokenSource();
        var token = stopping.Token;
        var parts = new (string Name, Func<OutboundMessage, ValueTask<SendResult>> Send)[]
        {
            ("sender called directly", m => sender.SendAsync(m, token)),
            ("default pipeline (retry, breaker, timeout)", m => defaults.SendAsync(sender, m, token)),
            ("default without retry (breaker, timeout)", m => noRetry.SendAsync(sender, m, token)),
            ("Polly's timeout only", m => timeoutOnly.SendAsync(sender, m, token)),
            ("circuit breaker only", m => breakerOnly.SendAsync(sender, m, token)),
            ("retry only", m => retryOnly.SendAsync(sender, m, token)),
            ("empty pipeline", m => empty.SendAsync(sender, m, token)),
        };

        for (var round = 1; round <= rounds; round++)
        {
            if (round != rounds / 2 && round != rounds)
            {
                foreach (var (_, send) in parts)
                {
                    foreach (var m in list)
                    {
                        await send(m);
                    }
                }

                foreach (var batch in batches)
                {
                    SendBatches(batchPipeline, batch, list, token);
                }

                continue;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round} of {rounds}, {messages} messages each:"));
            foreach (var (name, send) in parts)
            {
                var cpu = ThreadCost.CpuNanoseconds();
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var thread = Environment.CurrentManagedThreadId;
                foreach (var m in list)
                {
                    var result = send(m);
                    if (!result.IsCompletedSuccessfully)
                    {
                        throw new InvalidOperationException($"{name}: the send did not complete at once.");
                    }

                    if (!result.Result.IsSuccess)
                    {
                        throw new InvalidOperationException($"{name}: the send failed.");
                    }
                }

                if (Environment.CurrentManagedThreadId != thread)
                {
                    throw new InvalidOperationException("the thread changed during a measured part.");
                }

                cpu = ThreadCost.CpuNanoseconds() - cpu;
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-45} {cpu / 1000.0 / messages,8:F3} µs, {allocated / (double)messages,7:F1} B per message"));
            }

            for (var b = 0; b < batches.Length; b++)
            {
                var cpu = ThreadCost.CpuNanoseconds();
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                SendBatches(batchPipeline, batches[b], list, token);
                cpu = ThreadCost.CpuNanoseconds() - cpu;
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                var name = string.Create(CultureInfo.InvariantCulture, $"batch sender, default pipeline, batches of {batchSizes[b]}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-45} {cpu / 1000.0 / messages,8:F3} µs, {allocated / (double)messages,7:F1} B per message"));
            }
        }
    }

    // The messages in batches of the batch's capacity, each through one run of the pipeline, synchronously on this thread.
    private static void SendBatches(ResiliencePipeline<BatchAttempt> pipeline, BatchSend batch, OutboundMessage[] list, CancellationToken token)
    {
        for (var i = 0; i < list.Length;)
        {
            batch.Clear();
            while (i < list.Length && !batch.IsFull)
            {
                batch.Add(list[i], i);
                i++;
            }

            var send = pipeline.SendBatchAsync(batch, token);
            if (!send.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("A batch send did not complete at once.");
            }

            for (var m = 0; m < batch.Count; m++)
            {
                if (!batch.Result(m).IsSuccess)
                {
                    throw new InvalidOperationException("A batch send failed.");
                }
            }
        }
    }
}
