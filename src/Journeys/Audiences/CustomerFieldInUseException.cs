namespace Journeys.Audiences;

/// <summary>
/// A change to the customer field schema was refused because active journeys use the field: removing it or changing
/// its type would break them. <see cref="Usages"/> names each journey and node. Stop the journeys, or activate versions
/// that no longer use the field, first.
/// </summary>
public sealed class CustomerFieldInUseException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="field">The field.</param>
    /// <param name="change">What was refused, such as "removed" or "changed to Number".</param>
    /// <param name="usages">Where active journeys use it (at least one).</param>
    public CustomerFieldInUseException(string field, string change, IReadOnlyList<FieldUsage> usages)
        : base(FormattableString.Invariant(
            $"Field '{field}' cannot be {change}: active journeys use it ({string.Join("; ", usages.Select(u => u.ToString()))}). Stop those journeys, or activate versions that do not use it, first."))
    {
        Field = field;
        Usages = usages;
    }

    /// <summary>The field.</summary>
    public string Field { get; }

    /// <summary>Where active journeys use the field.</summary>
    public IReadOnlyList<FieldUsage> Usages { get; }
}
