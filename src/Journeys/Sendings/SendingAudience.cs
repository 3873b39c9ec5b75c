namespace Journeys.Sendings;

/// <summary>Who a sending is for.</summary>
public enum SendingAudience
{
    /// <summary>Every customer in the customer store when the sending starts (customers created later are not included).</summary>
    AllCustomers = 0,

    /// <summary>A list of customer ids given with the sending (by API, or read from a CSV file).</summary>
    List = 1,
}
