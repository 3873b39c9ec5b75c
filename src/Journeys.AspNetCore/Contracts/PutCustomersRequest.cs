namespace Journeys.AspNetCore.Contracts;

/// <summary>The body of <c>PUT /journeys/{id}/customers</c>: ids of existing customers, customers with fields, or both.</summary>
internal sealed class PutCustomersRequest
{
    public List<string>? CustomerIds { get; init; }

    public List<CustomerRequest>? Customers { get; init; }
}
