namespace Journeys.Model;

/// <summary>How a <see cref="FieldCondition"/> compares a field with its operand.</summary>
public enum ComparisonOperator
{
    /// <summary>Equal (strings compare ordinally; a string list equals a string when it contains it).</summary>
    Eq = 0,

    /// <summary>Not equal.</summary>
    Neq = 1,

    /// <summary>Less than (numbers, date-times, strings ordinally).</summary>
    Lt = 2,

    /// <summary>Greater than.</summary>
    Gt = 3,

    /// <summary>Less than or equal.</summary>
    Lte = 4,

    /// <summary>Greater than or equal.</summary>
    Gte = 5,

    /// <summary>The field has no value (the operand is ignored).</summary>
    IsNull = 6,

    /// <summary>The field has a value (the operand is ignored).</summary>
    IsNotNull = 7,

    /// <summary>A string contains the operand text, or a string list contains the operand item.</summary>
    Contains = 8,

    /// <summary>A string starts with the operand text.</summary>
    StartsWith = 9,
}
