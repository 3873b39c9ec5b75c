using System.Globalization;
using System.Text;
using Journeys.Sendings;

namespace Journeys.Model;

/// <summary>
/// The one check of the id length limits (<see cref="Customer.MaxIdLength"/>, <see cref="JourneyDefinition.MaxIdLength"/>),
/// shared by every entry point, and the words of its refusal, which each caller puts in its own sentence (index, line, path).
/// </summary>
internal static class IdLimits
{
    /// <summary>Whether a customer id is longer than <see cref="Customer.MaxIdLength"/> (a null id is not: other checks refuse it).</summary>
    public static bool IsCustomerIdTooLong(string? id) => id is { Length: > Customer.MaxIdLength };

    /// <summary>Whether a customer id given as UTF-8 (a CSV cell) is longer than <see cref="Customer.MaxIdLength"/> once decoded.</summary>
    /// <remarks>A UTF-8 byte count is never below the UTF-16 length, so short cells are not decoded.</remarks>
    public static bool IsCustomerIdTooLong(ReadOnlySpan<byte> utf8) =>
        utf8.Length > Customer.MaxIdLength && Encoding.UTF8.GetCharCount(utf8) > Customer.MaxIdLength;

    /// <summary>Whether a journey id is longer than <see cref="JourneyDefinition.MaxIdLength"/>.</summary>
    public static bool IsJourneyIdTooLong(string? id) => id is { Length: > JourneyDefinition.MaxIdLength };

    /// <summary>
    /// The longest journey id a stored journey can have: a sending's made before the limits, whose sending id had up to
    /// <see cref="SendingJourneys.MaxEarlierSendingIdLength"/> characters (208 with its prefix).
    /// </summary>
    public const int MaxStoredJourneyIdLength = 8 + SendingJourneys.MaxEarlierSendingIdLength; // 8: JourneyIdPrefix.Length

    /// <summary>
    /// Whether a journey id is longer than a journey in a store can have: <see cref="JourneyDefinition.MaxIdLength"/>, but a
    /// sending's journey (<c>sending:</c> + up to <see cref="SendingJourneys.MaxEarlierSendingIdLength"/>) may be longer. The
    /// check of what reads, compiles and enrolls into journeys that exist (validation, enrollment requests): a sending
    /// made before 2026-12-01 with a sending id of 121 to 200 characters still runs. What creates a journey or a sending
    /// checks <see cref="IsJourneyIdTooLong"/> or <see cref="SendingJourneys.MaxSendingIdLength"/> instead.
    /// </summary>
    public static bool IsStoredJourneyIdTooLong(string? id) =>
        IsJourneyIdTooLong(id) && !(id!.Length <= MaxStoredJourneyIdLength && SendingJourneys.IsSending(id));

    /// <summary>"is N characters long; ...": what is wrong with a customer id that is too long, to follow "the customer id".</summary>
    /// <param name="length">The id's length in UTF-16 code units.</param>
    public static string CustomerIdTooLong(int length) => TooLong(length, Customer.MaxIdLength, "customer ids", "Customer.MaxIdLength");

    /// <summary>The same for a customer id given as UTF-8.</summary>
    public static string CustomerIdTooLong(ReadOnlySpan<byte> utf8) => CustomerIdTooLong(Encoding.UTF8.GetCharCount(utf8));

    /// <summary>"is N characters long; ...": what is wrong with a journey id that is too long, to follow "the journey id".</summary>
    /// <param name="length">The id's length in UTF-16 code units.</param>
    public static string JourneyIdTooLong(int length) => TooLong(length, JourneyDefinition.MaxIdLength, "journey ids", "JourneyDefinition.MaxIdLength");

    /// <summary>The same for a journey id refused by <see cref="IsStoredJourneyIdTooLong"/>, with the limit that applies to it.</summary>
    /// <param name="id">The journey id.</param>
    public static string StoredJourneyIdTooLong(string id) => SendingJourneys.IsSending(id)
        ? TooLong(id.Length, MaxStoredJourneyIdLength, "the journey ids of sendings", "'sending:' and a sending id of up to 200, the limit before 2026-12-01")
        : JourneyIdTooLong(id.Length);

    private static string TooLong(int length, int max, string what, string constant) => string.Create(
        CultureInfo.InvariantCulture,
        $"is {length} characters long; {what} have at most {max} ({constant}, counted in UTF-16 code units: a character outside the Basic Multilingual Plane, such as an emoji, counts 2)");
}
