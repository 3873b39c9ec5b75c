using System.Numerics;
using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>The <see cref="IOrdering"/> operators.</summary>
internal static class Ordering
{
    /// <summary><c>eq</c>.</summary>
    internal readonly struct Eq : IOrdering
    {
        public static bool WhenMissing => false;

        public static bool Holds<T>(T value, T operand)
            where T : IComparisonOperators<T, T, bool> => value == operand;
    }

    /// <summary><c>neq</c>: not <c>eq</c>, so true when the field is null.</summary>
    internal readonly struct Neq : IOrdering
    {
        public static bool WhenMissing => true;

        public static bool Holds<T>(T value, T operand)
            where T : IComparisonOperators<T, T, bool> => value != operand;
    }

    /// <summary><c>lt</c>.</summary>
    internal readonly struct Lt : IOrdering
    {
        public static bool WhenMissing => false;

        public static bool Holds<T>(T value, T operand)
            where T : IComparisonOperators<T, T, bool> => value < operand;
    }

    /// <summary><c>gt</c>.</summary>
    internal readonly struct Gt : IOrdering
    {
        public static bool WhenMissing => false;

        public static bool Holds<T>(T value, T operand)
            where T : IComparisonOperators<T, T, bool> => value > operand;
    }

    /// <summary><c>lte</c>.</summary>
    internal readonly struct Lte : IOrdering
    {
        public static bool WhenMissing => false;

        public static bool Holds<T>(T value, T operand)
            where T : IComparisonOperators<T, T, bool> => value <= operand;
    }

    /// <summary><c>gte</c>.</summary>
    internal readonly struct Gte : IOrdering
    {
        public static bool WhenMissing => false;

        public static bool Holds<T>(T value, T operand)
            where T : IComparisonOperators<T, T, bool> => value >= operand;
    }
}
