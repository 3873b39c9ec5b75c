using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>Reads a field value of one type without throwing; a value of another type (or null) is not read.</summary>
/// <typeparam name="T">The type read.</typeparam>
internal interface IFieldReader<T>
{
    /// <summary>Reads the value when it has the reader's type.</summary>
    /// <param name="value">The field value.</param>
    /// <param name="result">The value read.</param>
    static abstract bool TryRead(in FieldValue value, out T result);
}
