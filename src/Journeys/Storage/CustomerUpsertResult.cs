using Journeys.Model;

namespace Journeys.Storage;

/// <summary>The result of an upsert.</summary>
/// <param name="Created">Customers that did not exist.</param>
/// <param name="Updated">Customers that existed and were replaced.</param>
public readonly record struct CustomerUpsertResult(int Created, int Updated);
