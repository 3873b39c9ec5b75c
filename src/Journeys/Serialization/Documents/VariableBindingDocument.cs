namespace Journeys.Serialization.Documents;

/// <summary>A template variable binding.</summary>
internal sealed class VariableBindingDocument
{
    public string? Variable { get; set; }

    public string? Field { get; set; }

    public string? Default { get; set; }
}
