using Journeys.Model;

namespace Journeys.Storage;

/// <summary>
/// An update node's field write, one object per compiled node shared by every run through it: with the enrollment's
/// customer it is a <see cref="CustomerFieldUpdate"/>. An executor's checkpoint keeps its run's writes in this form and
/// builds <see cref="EnrollmentCheckpoint.CustomerUpdates"/> from them only when read.
/// </summary>
/// <param name="field">The field.</param>
/// <param name="value">The value (<see cref="FieldValue.Null"/> clears it).</param>
internal sealed class FieldWrite(string field, FieldValue value)
{
    /// <summary>The field.</summary>
    public string Field { get; } = field;

    /// <summary>The value (<see cref="FieldValue.Null"/> clears it).</summary>
    public FieldValue Value { get; } = value;

    /// <summary>The write as an update of <paramref name="customerId"/>.</summary>
    public CustomerFieldUpdate For(string customerId) => new(customerId, Field, Value);
}
