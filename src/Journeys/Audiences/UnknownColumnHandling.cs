namespace Journeys.Audiences;

/// <summary>What a CSV reader does with a column that is not <c>customerId</c> and not a field of the schema.</summary>
public enum UnknownColumnHandling
{
    /// <summary>The file is refused, naming the columns.</summary>
    Reject = 0,

    /// <summary>The column becomes a new <see cref="Model.FieldType.String"/> field of the schema.</summary>
    AddAsString = 1,

    /// <summary>The column is skipped (useful when only ids are wanted, as in a sending to the ids of a file).</summary>
    Ignore = 2,
}
