using Journeys.Model;

namespace Journeys.Validation;

/// <summary>
/// Checks a journey definition against the customer field schema and the campaign catalog, and returns every
/// problem at once (graph, campaigns, conditions, durations, entry and rules), each with a code, the node concerned
/// and a message a marketer understands.
/// </summary>
public static class JourneyValidator
{
    /// <summary>
    /// Validates a journey. Never throws: whatever the input (even <see langword="null"/> arguments, nodes or
    /// conditions), problems come back as diagnostics.
    /// </summary>
    /// <param name="journey">The journey to check.</param>
    /// <param name="schema">The customer fields that conditions, bindings, webhooks and field updates may use.</param>
    /// <param name="campaigns">The campaigns that send nodes and reminders may use.</param>
    /// <returns>The result; <see cref="ValidationResult.IsValid"/> is true when no diagnostic is an error.</returns>
    public static ValidationResult Validate(JourneyDefinition journey, CustomerFieldSchema schema, CampaignCatalog campaigns) =>
        new ValidationRun(schema, campaigns, JourneyValidationOptions.Default).Run(journey);

    /// <summary>
    /// Validates a journey with host settings (such as the hosts whose plain-<c>http</c> webhooks are accepted).
    /// Never throws: problems come back as diagnostics.
    /// </summary>
    /// <param name="journey">The journey to check.</param>
    /// <param name="schema">The customer fields that conditions, bindings, webhooks and field updates may use.</param>
    /// <param name="campaigns">The campaigns that send nodes and reminders may use.</param>
    /// <param name="options">The host settings; <see langword="null"/> for <see cref="JourneyValidationOptions.Default"/>.</param>
    /// <returns>The result; <see cref="ValidationResult.IsValid"/> is true when no diagnostic is an error.</returns>
    public static ValidationResult Validate(JourneyDefinition journey, CustomerFieldSchema schema, CampaignCatalog campaigns, JourneyValidationOptions? options) =>
        new ValidationRun(schema, campaigns, options ?? JourneyValidationOptions.Default).Run(journey);
}
