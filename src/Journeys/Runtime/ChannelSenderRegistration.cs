using System.Collections.Frozen;
using Journeys.Messaging;
using Journeys.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace Journeys.Runtime;

/// <summary>A sender registered for a channel with <c>AddSender</c>.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Factory">Creates the sender from the service provider.</param>
internal sealed record ChannelSenderRegistration(Channel Channel, Func<IServiceProvider, IChannelSender> Factory);
