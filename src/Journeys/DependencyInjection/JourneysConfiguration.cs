using Journeys.Audiences;
using Journeys.Messaging;
using Journeys.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Binds Journeys' options from a configuration section (<see cref="JourneysBuilderExtensions.Configure(IJourneysBuilder, IConfiguration)"/>):
/// the section's keys bind <see cref="JourneysOptions"/>, its <c>Webhooks</c> child <see cref="WebhookOptions"/> and its
/// <c>Audiences</c> child <see cref="AudienceOptions"/>. A key that names no option is an error (a misspelt
/// <c>LeaseDurration</c> would otherwise leave the default in place unseen), as is a value that does not convert; both
/// are reported when the options are first read, which the host does at start.
/// </summary>
internal static class JourneysConfiguration
{
    /// <summary>The child section that binds <see cref="WebhookOptions"/>.</summary>
    public const string Webhooks = "Webhooks";

    /// <summary>The child section that binds <see cref="AudienceOptions"/>.</summary>
    public const string Audiences = "Audiences";

    /// <summary>
    /// <see cref="JourneysOptions.Campaigns"/> is not bound: a campaign's template and variables are content, defined in
    /// code (<see cref="JourneysBuilderExtensions.AddCampaigns"/>); a <c>Campaigns</c> key is refused with that reason.
    /// </summary>
    private const string Campaigns = nameof(JourneysOptions.Campaigns);

    public static void Bind(IConfiguration section, JourneysOptions options)
    {
        if (section.GetSection(Campaigns).Exists())
        {
            throw new InvalidOperationException(
                $"The configuration key '{PathOf(section, Campaigns)}' is not bound: campaigns are defined in code (AddCampaigns), not in configuration.");
        }

        new ChildrenExcept(section, Webhooks, Audiences, Campaigns).Bind(options, static b => b.ErrorOnUnknownConfiguration = true);
    }

    public static void Bind(IConfiguration section, WebhookOptions options) =>
        section.Bind(options, static b => b.ErrorOnUnknownConfiguration = true);

    public static void Bind(IConfiguration section, AudienceOptions options) =>
        section.Bind(options, static b => b.ErrorOnUnknownConfiguration = true);

    private static string PathOf(IConfiguration section, string key) =>
        section is IConfigurationSection { Path: { Length: > 0 } path } ? ConfigurationPath.Combine(path, key) : key;

    /// <summary>A configuration whose children leave out the ones other options bind (so they are not unknown keys of <see cref="JourneysOptions"/>).</summary>
    private sealed class ChildrenExcept(IConfiguration inner, params string[] excluded) : IConfiguration
    {
        public string? this[string key]
        {
            get => inner[key];
            set => inner[key] = value;
        }

        public IEnumerable<IConfigurationSection> GetChildren() =>
            inner.GetChildren().Where(c => !excluded.Contains(c.Key, StringComparer.OrdinalIgnoreCase));

        public IChangeToken GetReloadToken() => inner.GetReloadToken();

        public IConfigurationSection GetSection(string key) => inner.GetSection(key);
    }
}
