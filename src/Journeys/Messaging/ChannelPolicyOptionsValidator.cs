using Microsoft.Extensions.Options;

namespace Journeys.Messaging;

/// <summary>Validates <see cref="ChannelPolicyOptions"/> at start (named options: the name is the channel).</summary>
internal sealed class ChannelPolicyOptionsValidator : IValidateOptions<ChannelPolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, ChannelPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count == 0)
        {
            return ValidateOptionsResult.Success;
        }

        var prefix = string.IsNullOrEmpty(name) ? "Channel policy: " : $"Channel policy '{name}': ";
        return ValidateOptionsResult.Fail(errors.Select(e => prefix + e));
    }
}
