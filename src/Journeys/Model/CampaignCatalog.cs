using System.Collections.Frozen;

namespace Journeys.Model;

/// <summary>An immutable set of campaigns by id (ordinal, case-sensitive), as validation and send nodes look them up.</summary>
public sealed class CampaignCatalog
{
    private readonly FrozenDictionary<string, Campaign> _byId;

    private CampaignCatalog(FrozenDictionary<string, Campaign> byId) => _byId = byId;

    /// <summary>A catalog with no campaigns.</summary>
    public static CampaignCatalog Empty { get; } = new(FrozenDictionary<string, Campaign>.Empty);

    /// <summary>The campaigns.</summary>
    public IEnumerable<Campaign> Campaigns => _byId.Values;

    /// <summary>Creates a catalog.</summary>
    /// <param name="campaigns">The campaigns; ids must be distinct.</param>
    /// <exception cref="ArgumentException">A campaign is null or an id is repeated.</exception>
    public static CampaignCatalog Create(params IEnumerable<Campaign> campaigns)
    {
        ArgumentNullException.ThrowIfNull(campaigns);
        var byId = new Dictionary<string, Campaign>(StringComparer.Ordinal);
        foreach (var campaign in campaigns)
        {
            if (campaign is null)
            {
                throw new ArgumentException("A campaign is null.", nameof(campaigns));
            }

            if (!byId.TryAdd(campaign.Id, campaign))
            {
                throw new ArgumentException($"Campaign '{campaign.Id}' is given twice.", nameof(campaigns));
            }
        }

        return new CampaignCatalog(byId.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>Finds a campaign by id.</summary>
    /// <param name="id">The campaign id.</param>
    /// <param name="campaign">The campaign, when found.</param>
    public bool TryGet(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Campaign? campaign)
    {
        if (id is null)
        {
            campaign = null;
            return false;
        }

        return _byId.TryGetValue(id, out campaign);
    }
}
