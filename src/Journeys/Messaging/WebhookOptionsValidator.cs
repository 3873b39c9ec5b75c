using Microsoft.Extensions.Options;

namespace Journeys.Messaging;

/// <summary>Validates <see cref="WebhookOptions"/> at start.</summary>
internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!WebhookSignature.TryDecodeSecret(options.SigningSecret, out var main))
        {
            errors.Add("Webhooks: SigningSecret must be 'whsec_' followed by the base64 of at least 16 bytes.");
        }

        // Each secret decoded once; a repeat is found among the keys seen before it (the SigningSecret's first).
        var seen = new List<byte[]>(options.AdditionalSigningSecrets.Count + 1);
        if (main is not null)
        {
            seen.Add(main);
        }

        for (var i = 0; i < options.AdditionalSigningSecrets.Count; i++)
        {
            // Never the secret itself in the message: its position only.
            if (!WebhookSignature.TryDecodeSecret(options.AdditionalSigningSecrets[i], out var key))
            {
                errors.Add($"Webhooks: AdditionalSigningSecrets[{i}] must be 'whsec_' followed by the base64 of at least 16 bytes.");
                continue;
            }

            var repeated = seen.FindIndex(earlier => key.AsSpan().SequenceEqual(earlier));
            if (repeated >= 0)
            {
                errors.Add(repeated == 0 && main is not null
                    ? $"Webhooks: AdditionalSigningSecrets[{i}] is the SigningSecret itself."
                    : $"Webhooks: AdditionalSigningSecrets[{i}] repeats an earlier entry.");
                continue;
            }

            seen.Add(key);
        }

        foreach (var entry in options.AllowedNetworks)
        {
            if (!OutboundAddressGuard.TryParseNetwork(entry, out _))
            {
                errors.Add($"Webhooks: AllowedNetworks entry '{entry}' is neither an IP address nor a CIDR network.");
            }
        }

        foreach (var host in options.AllowedHttpHosts)
        {
            if (string.IsNullOrWhiteSpace(host) || Uri.CheckHostName(host.Trim().TrimStart('[').TrimEnd(']')) == UriHostNameType.Unknown)
            {
                errors.Add($"Webhooks: AllowedHttpHosts entry '{host}' is not a host name or an IP address.");
            }
        }

        if (options.Timeout < Validation.ValidationRun.MinWebhookTimeout || options.Timeout > Validation.ValidationRun.MaxWebhookTimeout)
        {
            errors.Add($"Webhooks: Timeout must be between 10 ms and 24 h (was {options.Timeout}).");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryBaseDelay > WebhookInvoker.MaxRetryDelay)
        {
            errors.Add($"Webhooks: RetryBaseDelay must be between 0 and 30 s, the longest pause between attempts that the enrollment's wait for the result allows for (was {options.RetryBaseDelay}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
