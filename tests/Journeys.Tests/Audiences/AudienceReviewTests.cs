using Journeys.Audiences;

namespace Journeys.Tests.Audiences;

public sealed class AudienceReviewTests
{
    [Fact]
    public async Task The_same_field_given_twice_in_different_case_is_refused_naming_it_and_nothing_is_written()
    {
        await using var host = await AudienceHost.CreateAsync();
        var refused = await Assert.ThrowsAsync<CustomerInputException>(() => host.Audience.PutCustomersAsync([
            new CustomerInput("c0", new Dictionary<string, object?> { ["age"] = 30 }),
            new CustomerInput("c1", new Dictionary<string, object?> { ["age"] = 1, ["AGE"] = 2 })]).AsTask());

        var problem = Assert.Single(refused.Problems);
        Assert.Equal((1, "c1", "AGE"), (problem.Index, problem.CustomerId, problem.Field));
        Assert.Contains("twice", problem.Message, StringComparison.Ordinal);
        Assert.Empty(await host.AllCustomersAsync());
    }

    [Fact]
    public async Task A_DateTime_for_an_unknown_field_is_stored_as_its_ISO_text_as_a_DateTimeOffset_is()
    {
        await using var host = await AudienceHost.CreateAsync(addUnknownFields: true);
        await host.Audience.PutCustomersAsync([new CustomerInput("c1", new Dictionary<string, object?>
        {
            ["seen"] = new DateTime(2024, 5, 1, 10, 0, 0, DateTimeKind.Utc),
            ["since"] = new DateTime(2024, 5, 1, 10, 0, 0, DateTimeKind.Unspecified),
            ["at"] = new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero),
        })]);

        var c1 = (await host.Audience.GetCustomerAsync("c1"))!;
        Assert.Equal("2024-05-01T10:00:00.0000000+00:00", c1.GetField("at").AsString());
        Assert.Equal(c1.GetField("at").AsString(), c1.GetField("seen").AsString());
        Assert.Equal(c1.GetField("at").AsString(), c1.GetField("since").AsString());
    }

    [Theory]
    [InlineData(" c1")]
    [InlineData("c1 ")]
    [InlineData("c1\t")]
    public async Task An_id_with_white_space_at_an_end_is_refused_naming_it_and_nothing_is_written(string id)
    {
        // The CSV import and list sendings trim ids, so a stored " c1" could never be named by a file: refused, not stored.
        await using var host = await AudienceHost.CreateAsync();
        var refused = await Assert.ThrowsAsync<CustomerInputException>(() => host.Audience.PutCustomersAsync([
            new CustomerInput("c0", new Dictionary<string, object?> { ["age"] = 30 }),
            new CustomerInput(id, new Dictionary<string, object?> { ["age"] = 31 })]).AsTask());

        var problem = Assert.Single(refused.Problems);
        Assert.Equal((1, id), (problem.Index, problem.CustomerId));
        Assert.Contains("white space", problem.Message, StringComparison.Ordinal);
        Assert.Empty(await host.AllCustomersAsync());
    }

    [Fact]
    public async Task A_list_entry_id_with_white_space_at_an_end_is_refused_naming_its_index_and_nothing_is_written()
    {
        await using var host = await AudienceHost.CreateAsync();
        await host.ActivateAsync(Journeys.Building.JourneyBuilder.Create("listed", "Listed").EnterFromList([])
            .Steps(p => p.Exit("done", id: "done")).Build());

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => host.Audience.EnrollListAsync("listed", ["c0", "c1 "]).AsTask());

        Assert.Contains("index 1", refused.Message, StringComparison.Ordinal);
        Assert.Contains("white space", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await host.AllCustomersAsync());
    }

    [Fact]
    public async Task The_journey_managers_put_refuses_an_id_with_white_space_at_an_end_and_writes_nothing()
    {
        await using var host = await AudienceHost.CreateAsync();
        var refused = await Assert.ThrowsAsync<CustomerInputException>(() => host.Journeys.PutCustomersAsync([new Customer("c0"), new Customer("c1\n")]).AsTask());

        Assert.Equal((1, null), (refused.Problems.Single().Index, refused.Problems.Single().Field));
        Assert.Contains("customers[1]", refused.Message, StringComparison.Ordinal);
        Assert.Contains("white space", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await host.AllCustomersAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task The_journey_managers_enroll_refuses_a_bad_id_after_a_full_chunk_naming_its_index_and_enrolls_nobody(string? bad)
    {
        // The ids are enrolled 1,000 at a time: a bad id in the second chunk was found only by the store, after the first
        // chunk was enrolled, and named by its index in its chunk (0) in a message about an incomplete enrollment request.
        await using var host = await AudienceHost.CreateAsync();
        await host.ActivateAsync(Journeys.Building.JourneyBuilder.Create("list", "List").EnterFromList([])
            .Steps(p => p.Delay(TimeSpan.FromDays(2), id: "wait")).Build());
        var ids = Enumerable.Range(0, 1000).Select(i => $"c{i}").Append(bad!).ToList();

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => host.Journeys.EnrollAsync("list", ids).AsTask());

        Assert.Equal("customerIds", refused.ParamName);
        Assert.Contains("index 1000", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await host.Enrollments.GetByCustomerAsync("c0"));
        Assert.Empty(await host.Enrollments.GetByCustomerAsync("c999"));
    }
}
