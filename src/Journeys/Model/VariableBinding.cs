namespace Journeys.Model;

/// <summary>Binds a template variable (<c>{{name}}</c>) of a campaign to a customer field.</summary>
/// <param name="Variable">The template variable's name, without braces.</param>
/// <param name="Field">The customer field whose value fills it.</param>
/// <param name="Default">Used when the customer has no value; when absent, such a message is not sent and the reason is counted.</param>
public sealed record VariableBinding(string Variable, string Field, string? Default = null);
