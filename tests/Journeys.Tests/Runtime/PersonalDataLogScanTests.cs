using System.Text;
using Journeys.Audiences;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Journeys.Tests.Runtime;

/// <summary>
/// No personal data in logs above Debug: a scenario over the public services with one recognisable customer (id,
/// field values, an event property, bad input, a sender whose exception names the customer), and every entry at
/// Information or above, and every logging scope, scanned for it.
/// </summary>
public sealed class PersonalDataLogScanTests
{
    private const string CustomerId = "zoe.secret@example.com";

    private static readonly string[] Markers = ["zoe.secret", "Zoeprivate", "zoe.private@mail.test", "+34600111222", "notanumber"];

    [Fact]
    public async Task Nothing_logged_above_Debug_names_the_customer_or_their_data()
    {
        var logs = new ScopeRecordingLoggerProvider();
        var start = new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);
        await using var host = await EngineHost.StartAsync(start, o => o.ChannelPolicies["Sms"] = new ChannelPolicyOptions { MaxRetryAttempts = 0 }, extend: j =>
        {
            j.Services.AddLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
            j.AddSender(Channel.Sms, new ThrowingSender());
            j.AddCampaigns(new Campaign("sms", Channel.Sms, "Hi {{name}}"));
        });
        var audience = host.Services.GetRequiredService<IAudienceManager>();

        await audience.PutCustomersAsync([new CustomerInput(CustomerId, new Dictionary<string, object?> { ["firstName"] = "Zoeprivate", ["email"] = "zoe.private@mail.test" })]);
        await Assert.ThrowsAsync<CustomerInputException>(() => audience.PutCustomersAsync([new CustomerInput(CustomerId, new Dictionary<string, object?> { ["age"] = "notanumber" })]).AsTask());
        await Assert.ThrowsAsync<CsvImportException>(() => audience.ImportCsvAsync(new MemoryStream(Encoding.UTF8.GetBytes($"customerId,age\n{CustomerId},notanumber\n"))).AsTask());

        await host.Manager.CreateAsync(JourneyBuilder.Create("pd", "Personal data").EnterOnEvent("go").ConvertOn("purchase")
            .Steps(p => p
                .Send(Channel.Email, "welcome", v => v.Bind("name", "firstName", "there"), id: "email")
                .Send(Channel.Sms, "sms", v => v.Bind("name", "firstName", "there"), id: "sms")
                .WaitForEvent("clicked", TimeSpan.FromHours(1), w => w.OnEvent(e => e.Exit("clicked")).OnTimeout(t => t.Exit("ignored")), id: "wait"))
            .Build());
        await host.Manager.ActivateAsync("pd");
        await host.Manager.PublishAsync([new CustomerEvent(CustomerId, "go", new Dictionary<string, FieldValue> { ["phone"] = "+34600111222" }.ToImmutableDictionary(), start)]);
        EngineHost.Eventually(() => host.Count("pd", "sms", StatisticCounter.Failed) == 1, "the SMS failed");
        await host.Manager.PublishAsync([new CustomerEvent(CustomerId, "purchase", new Dictionary<string, FieldValue> { ["phone"] = "+34600111222" }.ToImmutableDictionary(), start)]);
        EngineHost.Eventually(() => host.Count("pd", null, StatisticCounter.Converted) == 1, "the purchase converted");

        await host.Sendings.SendToListAsync(new SendingRequest("tips"), Ids(CustomerId));
        EngineHost.Eventually(() => host.Push.Messages.Any(m => m.CustomerId == CustomerId), "the sending's push");
        await host.Manager.StopAsync("pd");
        Assert.True(await audience.DeleteCustomerAsync(CustomerId));

        var leaks = logs.Entries.Where(e => e.Level >= LogLevel.Information && (Names(e.Message) || Names(e.Exception)))
            .Select(e => $"{e.Level} {e.Category} [{e.EventId}]: {e.Message} {e.Exception}");
        Assert.Empty(leaks);
        Assert.DoesNotContain(logs.Scopes, Names);

        // The scan sees the data where it is allowed: the sender's exception, whole, at Debug.
        Assert.Contains(logs.Entries, e => e.Level < LogLevel.Information && Names(e.Exception));
    }

    private static bool Names(string? text) => text is not null && Markers.Any(m => text.Contains(m, StringComparison.OrdinalIgnoreCase));

    private static async IAsyncEnumerable<string> Ids(params string[] ids)
    {
        await Task.Yield();
        foreach (var id in ids)
        {
            yield return id;
        }
    }

    /// <summary>A provider's SDK whose exception names the recipient, as many do.</summary>
    private sealed class ThrowingSender : IChannelSender
    {
        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"SMS to {message.CustomerId} (+34600111222) refused: {message.Body}");
    }

    /// <summary>Every entry, as <see cref="ListLoggerProvider"/>, and the text of every scope opened.</summary>
    private sealed class ScopeRecordingLoggerProvider : ILoggerProvider
    {
        private readonly ListLoggerProvider _entries = new();
        private readonly List<string> _scopes = [];

        public IReadOnlyList<ListLoggerProvider.LogEntry> Entries => _entries.Entries;

        public IReadOnlyList<string> Scopes
        {
            get
            {
                lock (_scopes)
                {
                    return [.. _scopes];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, _entries.CreateLogger(categoryName));

        public void Dispose() => _entries.Dispose();

        private sealed class Logger(ScopeRecordingLoggerProvider owner, ILogger inner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull
            {
                lock (owner._scopes)
                {
                    owner._scopes.Add(state.ToString() ?? string.Empty);
                }

                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
