namespace Journeys.Validation;

/// <summary>
/// Host settings that validation honours. The defaults are the strict ones: webhooks must use <c>https</c>.
/// The engine builds these from <see cref="Journeys.Messaging.WebhookOptions"/>, so validation and the webhook
/// calls accept exactly the same URLs.
/// </summary>
public sealed class JourneyValidationOptions
{
    /// <summary>The strict defaults: no plain-<c>http</c> webhook is accepted.</summary>
    public static JourneyValidationOptions Default { get; } = new(allowHttpWebhooks: false, httpWebhookHosts: []);

    private readonly HashSet<string> _httpWebhookHosts;

    /// <summary>Creates validation settings.</summary>
    /// <param name="allowHttpWebhooks">Accepts plain-<c>http</c> webhook URLs to any host.</param>
    /// <param name="httpWebhookHosts">
    /// Hosts (names or IP literals, compared case-insensitively) whose plain-<c>http</c> webhook URLs are accepted.
    /// </param>
    public JourneyValidationOptions(bool allowHttpWebhooks, IEnumerable<string> httpWebhookHosts)
    {
        ArgumentNullException.ThrowIfNull(httpWebhookHosts);
        AllowHttpWebhooks = allowHttpWebhooks;
        _httpWebhookHosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in httpWebhookHosts)
        {
            if (!string.IsNullOrWhiteSpace(host))
            {
                _httpWebhookHosts.Add(NormalizeHost(host));
            }
        }
    }

    /// <summary>True when plain-<c>http</c> webhook URLs are accepted for every host.</summary>
    public bool AllowHttpWebhooks { get; }

    /// <summary>The hosts whose plain-<c>http</c> webhook URLs are accepted.</summary>
    public IReadOnlyCollection<string> HttpWebhookHosts => _httpWebhookHosts;

    /// <summary>
    /// True when a webhook may call <paramref name="url"/>: an absolute <c>https</c> URL, or an <c>http</c> URL when
    /// http is allowed for every host or for the URL's host.
    /// </summary>
    /// <param name="url">An absolute URL.</param>
    /// <returns>Whether the URL's scheme is acceptable for a webhook.</returns>
    public bool IsWebhookSchemeAllowed(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            return false;
        }

        if (string.Equals(url.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal))
        {
            return true;
        }

        return string.Equals(url.Scheme, Uri.UriSchemeHttp, StringComparison.Ordinal)
            && (AllowHttpWebhooks || _httpWebhookHosts.Contains(NormalizeHost(url.Host)));
    }

    // Uri.Host keeps IPv6 literals in brackets; the allow list may be written either way.
    private static string NormalizeHost(string host) => host.Trim().TrimStart('[').TrimEnd(']').TrimEnd('.');
}
