namespace Journeys.Model;

/// <summary>How a <see cref="FieldCondition"/> compares a field with its operand.</summary>
public enum ComparisonOperator
{
    /// <summary>Equal (strings ignoring case, ordinally; a string list equals a string when it has an item equal to it; a null field equals nothing).</summary>
    Eq = 0,

    /// <summary>Not equal: exactly <c>not eq</c>, so true when the field is null.</summary>
    Neq = 1,

    /// <summary>Less than (numbers, date-times; strings ordinally and case-sensitively, by <see cref="string.CompareOrdinal(string, string)"/>); false when the field is null.</summary>
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

    /// <summary>A string contains the operand text, or a string list has an item equal to the operand (both ignoring case).</summary>
    Contains = 8,

    /// <summary>A string starts with the operand text (ignoring case).</summary>
    StartsWith = 9,
}
