using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>A compiled retargeting node.</summary>
internal sealed class CompiledRetargeting(
    string id, int index, string conversionEvent, TimeSpan window, ImmutableArray<CompiledReminder> reminders, int onConverted, int onExhausted)
    : CompiledNode(id, index)
{
    public string ConversionEvent { get; } = conversionEvent;

    public TimeSpan Window { get; } = window;

    public ImmutableArray<CompiledReminder> Reminders { get; } = reminders;

    public int OnConverted { get; } = onConverted;

    public int OnExhausted { get; } = onExhausted;
}
