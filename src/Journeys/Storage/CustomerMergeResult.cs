using Journeys.Model;

namespace Journeys.Storage;

/// <summary>The result of <see cref="ICustomerStore.MergeAsync"/>.</summary>
/// <param name="Created">Customers that did not exist.</param>
/// <param name="Updated">Customers that existed and were changed (or left as they were, when the patch changed nothing).</param>
/// <param name="Customers">The customers as the merge wrote them, in the order of the patches.</param>
public sealed record CustomerMergeResult(int Created, int Updated, IReadOnlyList<Customer> Customers);
