namespace Journeys.AspNetCore.Contracts;

/// <summary>The body of <c>POST /sendings/all</c> and <c>POST /sendings/list</c> (the list one also has <see cref="CustomerIds"/>).</summary>
internal sealed class SendingRequestBody
{
    public string? CampaignId { get; init; }

    public string? SendingId { get; init; }

    public string? Name { get; init; }

    public List<VariableBindingBody>? Variables { get; init; }

    public string? TimeZoneId { get; init; }

    public List<string>? CustomerIds { get; init; }
}
