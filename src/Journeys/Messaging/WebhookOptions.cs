namespace Journeys.Messaging;

/// <summary>
/// Settings of webhook calls: the signing secret, the outbound address guard and the attempt timeout.
/// Webhooks may only reach public addresses unless a network is allow-listed in <see cref="AllowedNetworks"/>.
/// </summary>
public sealed class WebhookOptions
{
    /// <summary>
    /// The signing secret in the Standard Webhooks form: <c>whsec_</c> followed by the base64 of the key bytes
    /// (at least 16 bytes). Required.
    /// </summary>
    public string? SigningSecret { get; set; }

    /// <summary>
    /// More secrets (same form as <see cref="SigningSecret"/>) that every request is signed with as well, each adding its
    /// signature to <c>webhook-signature</c> (space-separated, after <see cref="SigningSecret"/>'s, as Standard Webhooks
    /// allows). For rotating the secret without failed verifications: add the new secret here, let the receivers move
    /// to it (a receiver accepts a request when any signature matches a secret it knows), then make it
    /// <see cref="SigningSecret"/> and drop the old one. Empty by default; read when the host starts.
    /// </summary>
    public IList<string> AdditionalSigningSecrets { get; } = [];

    /// <summary>
    /// Addresses or CIDR networks (<c>10.1.2.3</c>, <c>10.0.0.0/8</c>, <c>fd00::/8</c>) that webhooks may reach although
    /// they are loopback, private, link-local or otherwise not public. Empty by default.
    /// </summary>
    public IList<string> AllowedNetworks { get; } = [];

    /// <summary>
    /// Allows plain-<c>http</c> URLs to every host; off by default (only <c>https</c>). Prefer
    /// <see cref="AllowedHttpHosts"/>, which opens http for named hosts only.
    /// </summary>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// Hosts (names or IP literals such as <c>127.0.0.1</c>, compared case-insensitively) to which webhooks may use
    /// plain <c>http</c>. Journey validation and the webhook calls both honour it: a webhook node with an http URL to
    /// another host does not validate, and is refused at call time. Empty by default. This is about the scheme only:
    /// a loopback or private address must still be allow-listed in <see cref="AllowedNetworks"/>.
    /// </summary>
    public IList<string> AllowedHttpHosts { get; } = [];

    /// <summary>The timeout of one attempt when the webhook node sets none (default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The base delay of the exponential backoff with jitter between attempts (default 1 s; 0 to 30 s). A pause is at
    /// most 30 s: the enrollment waits for the call's result only that long per retry.
    /// </summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The validation settings that accept exactly the URLs these options let webhooks call.</summary>
    internal Journeys.Validation.JourneyValidationOptions ToValidationOptions() => new(AllowHttp, AllowedHttpHosts);
}
