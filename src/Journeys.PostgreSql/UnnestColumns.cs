using Npgsql;
using NpgsqlTypes;

namespace Journeys.PostgreSql;

/// <summary>
/// The parameters of an <c>unnest($1::t1[], $2::t2[], ...)</c> over rows: one array per column, filled in row order,
/// so a statement writes a whole batch in one go instead of one round trip per row.
/// </summary>
internal static class UnnestColumns
{
    /// <summary>Adds the column <paramref name="select"/> of every row as one array parameter (element type from <typeparamref name="T"/>).</summary>
    public static void Add<TRow, T>(NpgsqlParameterCollection parameters, IReadOnlyList<TRow> rows, Func<TRow, T> select)
    {
        parameters.Add(new NpgsqlParameter<T[]> { TypedValue = Values(rows, select) });
    }

    /// <summary>Adds a column whose values may be null: the element type is spelled out, since nulls carry none.</summary>
    public static void AddNullable<TRow, T>(NpgsqlParameterCollection parameters, IReadOnlyList<TRow> rows, Func<TRow, T> select, NpgsqlDbType elementType)
    {
        parameters.Add(new NpgsqlParameter { Value = Values(rows, select), NpgsqlDbType = NpgsqlDbType.Array | elementType });
    }

    private static T[] Values<TRow, T>(IReadOnlyList<TRow> rows, Func<TRow, T> select)
    {
        var values = new T[rows.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = select(rows[i]);
        }

        return values;
    }
}
