using Journeys.Model;

namespace Journeys.Storage;

/// <summary>A claimed enrollment and the customer events it has not seen yet.</summary>
/// <param name="Enrollment">The enrollment as stored (its token is the one to commit against).</param>
/// <param name="Events">The customer's retained events newer than its cursor, oldest first, with their sequence numbers.</param>
/// <param name="LeaseExpiresAt">When the claim lapses.</param>
public sealed record WorkItem(Enrollment Enrollment, IReadOnlyList<SequencedEvent> Events, DateTimeOffset LeaseExpiresAt);
