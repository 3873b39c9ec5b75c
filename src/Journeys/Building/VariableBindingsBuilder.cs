using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.Building;

/// <summary>Binds a campaign's template variables (<c>{{name}}</c>) to customer fields.</summary>
public sealed class VariableBindingsBuilder
{
    private readonly ImmutableArray<VariableBinding>.Builder _bindings = ImmutableArray.CreateBuilder<VariableBinding>();
    private readonly string _campaignId;

    private VariableBindingsBuilder(string campaignId) => _campaignId = campaignId;

    /// <summary>Fills <paramref name="variable"/> from <paramref name="field"/>.</summary>
    /// <param name="variable">The template variable, without braces.</param>
    /// <param name="field">The customer field.</param>
    /// <param name="defaultValue">Used when the customer has no value; without it such a message is not sent (and counted).</param>
    /// <returns>This builder.</returns>
    public VariableBindingsBuilder Bind(string variable, string field, string? defaultValue = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(variable);
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        foreach (var existing in _bindings)
        {
            if (string.Equals(existing.Variable, variable, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Campaign '{_campaignId}': variable '{variable}' is bound twice.", nameof(variable));
            }
        }

        _bindings.Add(new VariableBinding(variable, field, defaultValue));
        return this;
    }

    internal static CampaignReference BuildReference(string campaignId, Action<VariableBindingsBuilder>? configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);
        var builder = new VariableBindingsBuilder(campaignId);
        configure?.Invoke(builder);
        return new CampaignReference(campaignId, builder._bindings.ToImmutable());
    }
}
