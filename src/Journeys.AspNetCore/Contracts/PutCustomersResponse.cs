namespace Journeys.AspNetCore.Contracts;

/// <summary>The answer of <c>PUT /journeys/{id}/customers</c>: customers written and enrollment outcomes counted by kind.</summary>
internal sealed record PutCustomersResponse(
    string JourneyId,
    int CustomersCreated,
    int CustomersUpdated,
    int Enrolled,
    int AlreadyActive,
    int ReEntryRefused,
    int CapReached,
    int OutsideWindow);
