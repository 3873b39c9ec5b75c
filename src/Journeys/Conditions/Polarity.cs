namespace Journeys.Conditions;

/// <summary>The <see cref="IPolarity"/> implementations.</summary>
internal static class Polarity
{
    /// <summary>The test as is.</summary>
    internal readonly struct Is : IPolarity
    {
        public static bool Apply(bool matched) => matched;
    }

    /// <summary>The test negated (<c>neq</c>).</summary>
    internal readonly struct IsNot : IPolarity
    {
        public static bool Apply(bool matched) => !matched;
    }
}
