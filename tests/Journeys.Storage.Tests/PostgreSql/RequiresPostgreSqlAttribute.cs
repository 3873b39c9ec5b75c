namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>Marks a test class that needs the PostgreSQL server; <see cref="SkippingTestFramework"/> skips its tests when there is none (outside CI).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RequiresPostgreSqlAttribute : Attribute;
