using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>One compiled retargeting reminder.</summary>
internal sealed record CompiledReminder(TimeSpan After, Channel Channel, CompiledTemplate Template);
