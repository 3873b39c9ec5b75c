namespace Journeys.AspNetCore.Contracts;

/// <summary>A template variable bound to a customer field in a sending request: <c>{variable, field, default}</c>.</summary>
internal sealed class VariableBindingBody
{
    public required string Variable { get; init; }

    public required string Field { get; init; }

    public string? Default { get; init; }
}
