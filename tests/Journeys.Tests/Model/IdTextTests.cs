using Journeys.Audiences;
using Journeys.Building;
using Journeys.Sendings;
using Journeys.Tests.Audiences;
using static Journeys.Tests.Audiences.AudienceHost;

namespace Journeys.Tests.Model;

/// <summary>
/// An id in an error message is shown whole up to 64 UTF-16 code units, else cut there (a surrogate pair kept whole) with
/// its length, so a refused id of thousands of characters does not make a message of thousands of characters.
/// </summary>
public sealed class IdTextTests
{
    private static readonly string Huge = "huge-" + new string('x', 4_995);

    [Fact]
    public void An_id_up_to_64_units_is_shown_whole_and_a_longer_one_is_cut_with_its_length()
    {
        var at = new string('a', IdText.MaxShown);
        Assert.Equal(at, IdText.Shorten(at));
        Assert.Equal($"'{at}'", IdText.Quote(at));
        Assert.Equal("''", IdText.Quote(null));
        Assert.Null(IdText.Shorten(null));

        Assert.Equal($"{at}… (65 characters)", IdText.Shorten(at + "b"));
        Assert.Equal($"'{at}…' (5000 characters)", IdText.Quote(new string('a', 5_000)));
    }

    [Fact]
    public void A_surrogate_pair_across_the_cut_is_left_out_whole()
    {
        var id = new string('a', IdText.MaxShown - 1) + "😀" + new string('z', 10);
        var shown = IdText.Shorten(id)!;

        Assert.Equal(new string('a', IdText.MaxShown - 1) + "… (75 characters)", shown);
        Assert.DoesNotContain(shown, char.IsSurrogate);

        var emoji = string.Concat(Enumerable.Repeat("😀", 40));
        Assert.Equal(string.Concat(Enumerable.Repeat("😀", 32)) + "… (80 characters)", IdText.Shorten(emoji));
    }

    [Fact]
    public async Task A_put_of_a_customer_with_an_id_of_thousands_of_characters_names_its_start_and_length()
    {
        await using var host = await AudienceHost.CreateAsync();

        var audience = await Assert.ThrowsAsync<CustomerInputException>(() => host.Audience.PutCustomersAsync(
            [new CustomerInput(Huge)]).AsTask());
        var manager = await Assert.ThrowsAsync<CustomerInputException>(() => host.Journeys.PutCustomersAsync(
            [new Customer(Huge + " ")]).AsTask());

        foreach (var refused in new[] { audience, manager })
        {
            Assert.Contains($"customers[0] ('{Huge[..64]}…' (", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Huge[..65], refused.Message, StringComparison.Ordinal);
            Assert.True(refused.Message.Length < 1_000, refused.Message.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Contains("(5000 characters)", audience.Message, StringComparison.Ordinal);
        Assert.Contains("(5001 characters)", manager.Message, StringComparison.Ordinal);

        // The problems keep the id as given, for the caller to match.
        Assert.All(audience.Problems, p => Assert.Equal(Huge, p.CustomerId));
    }

    [Fact]
    public async Task A_csv_id_given_twice_is_named_by_its_start_and_length()
    {
        await using var host = await AudienceHost.CreateAsync();
        var id = new string('d', Customer.MaxIdLength);

        var refused = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(Csv($"customerId\n{id}\n{id}\n")).AsTask());

        var problem = Assert.Single(refused.Problems);
        Assert.Equal($"the customer id '{id[..64]}…' (256 characters) is also on line 2; give each customer once.", problem.Message);
    }

    [Fact]
    public async Task Ids_of_thousands_of_characters_refused_by_the_builder_managers_and_sendings_are_cut_in_the_message()
    {
        await using var host = await AudienceHost.CreateAsync();
        var sendings = host.Sendings;

        var messages = new[]
        {
            Assert.Throws<ArgumentException>(() => JourneyBuilder.Create(Huge, "Huge")).Message,
            Assert.Throws<ArgumentException>(() => JourneyBuilder.Create(Huge[..100] + " ", "Bad")).Message,
            (await Assert.ThrowsAsync<KeyNotFoundException>(() => host.Journeys.ActivateAsync(Huge).AsTask())).Message,
            (await Assert.ThrowsAsync<ArgumentException>(() => host.Journeys.StopAsync(SendingJourneys.JourneyIdPrefix + Huge).AsTask())).Message,
            (await Assert.ThrowsAsync<KeyNotFoundException>(() => sendings.StopAsync(Huge).AsTask())).Message,
            (await Assert.ThrowsAsync<ArgumentException>(() => sendings.SendToAllAsync(new SendingRequest("tips") { SendingId = Huge }).AsTask())).Message,
        };

        Assert.All(messages, message =>
        {
            Assert.Contains("…' (", message, StringComparison.Ordinal);
            Assert.DoesNotContain(new string('x', 100), message, StringComparison.Ordinal);
        });
    }
}
