namespace Journeys.Model;

/// <summary>The type of a customer field (the product's "Customer Fields").</summary>
public enum FieldType
{
    /// <summary>Text.</summary>
    String = 0,

    /// <summary>A number (double precision).</summary>
    Number = 1,

    /// <summary>True or false.</summary>
    Boolean = 2,

    /// <summary>An instant in time (stored as UTC).</summary>
    DateTime = 3,

    /// <summary>A list of texts, such as tags.</summary>
    StringList = 4,
}
