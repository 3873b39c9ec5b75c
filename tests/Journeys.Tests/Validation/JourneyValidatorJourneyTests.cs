using Journeys.Validation;
using static Journeys.Tests.Validation.ValidationTestData;

namespace Journeys.Tests.Validation;

public sealed class JourneyValidatorJourneyTests
{
    [Fact]
    public void Null_arguments_become_diagnostics()
    {
        var result = JourneyValidator.Validate(null!, null!, null!);

        Assert.Equal([DiagnosticCodes.MissingJourney, DiagnosticCodes.MissingSchema, DiagnosticCodes.MissingCatalog], result.Diagnostics.Select(d => d.Code));
        Assert.False(result.IsValid);
        Assert.Null(result.JourneyId);
    }

    [Fact]
    public void Without_a_schema_the_rest_is_still_checked_and_field_checks_are_skipped()
    {
        var journey = With(new SendNode("send-vip", Channel.Push, new CampaignReference("nope", [new VariableBinding("name", "firstName")]), "wait-click"));

        var result = JourneyValidator.Validate(journey, null!, Campaigns);

        Assert.Equal([DiagnosticCodes.MissingSchema, DiagnosticCodes.UnknownCampaign], result.Diagnostics.Select(d => d.Code));
    }

    [Fact]
    public void Without_a_catalog_campaign_lookups_are_skipped()
    {
        var result = JourneyValidator.Validate(ValidJourney(), Schema, null!);

        Assert.Equal(DiagnosticCodes.MissingCatalog, Assert.Single(result.Diagnostics).Code);
    }

    [Fact]
    public void With_an_empty_catalog_every_campaign_is_unknown()
    {
        var result = JourneyValidator.Validate(ValidJourney(), Schema, CampaignCatalog.Empty);

        Assert.Equal(3, result.Diagnostics.Count(d => d.Code == DiagnosticCodes.UnknownCampaign));
    }

    [Fact]
    public void Journey_id_name_and_version_are_required()
    {
        var result = Validate(ValidJourney() with { Id = " ", Name = null!, Version = 0 });

        Assert.Equal(
            [DiagnosticCodes.MissingJourneyId, DiagnosticCodes.MissingJourneyName, DiagnosticCodes.InvalidVersion],
            result.Diagnostics.Select(d => d.Code));
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("../../etc/passwd")]
    public void An_unknown_time_zone_is_reported(string? timeZone)
    {
        var diagnostic = Only(Validate(ValidJourney() with { TimeZoneId = timeZone! }), DiagnosticCodes.UnknownTimeZone);

        Assert.Equal("timeZoneId", diagnostic.Path);
    }

    [Theory]
    [InlineData("UTC")]
    [InlineData("America/New_York")]
    public void Known_time_zones_are_fine(string timeZone)
    {
        Assert.Empty(Validate(ValidJourney() with { TimeZoneId = timeZone }).Diagnostics);
    }

    [Fact]
    public void An_unknown_status_is_reported()
    {
        Only(Validate(ValidJourney() with { Status = (JourneyStatus)17 }), DiagnosticCodes.InvalidEnumValue);
    }

    [Fact]
    public void A_schema_field_of_unknown_type_is_reported_and_not_used_for_type_checks()
    {
        var schema = Schema.WithField(new FieldDefinition("mystery", (FieldType)99));
        var journey = ValidJourney() with { Entry = new FilterEntry(Condition.Lt("mystery", 1d)) };

        var result = JourneyValidator.Validate(journey, schema, Campaigns);

        Assert.Equal(DiagnosticCodes.InvalidEnumValue, Assert.Single(result.Diagnostics).Code);
    }

    [Fact]
    public void A_missing_entry_is_reported()
    {
        Only(Validate(ValidJourney() with { Entry = null! }), DiagnosticCodes.MissingEntry);
    }

    [Fact]
    public void An_empty_closed_customer_list_can_never_match_anyone()
    {
        var diagnostic = Only(Validate(ValidJourney() with { Entry = new CustomerListEntry([], AcceptsAdditions: false) }), DiagnosticCodes.EmptyAudience);

        Assert.Contains("never match anyone", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_list_that_accepts_additions_or_a_closed_list_with_ids_is_fine()
    {
        Assert.Empty(Validate(ValidJourney() with { Entry = new CustomerListEntry([]) }).Diagnostics);
        Assert.Empty(Validate(ValidJourney() with { Entry = new CustomerListEntry(["ana@example.com"], AcceptsAdditions: false) }).Diagnostics);
        Assert.Empty(Validate(ValidJourney() with { Entry = new CustomerListEntry(default) }).Diagnostics);
        Assert.Empty(Validate(ValidJourney() with { Entry = new AllCustomersEntry() }).Diagnostics);
    }

    [Fact]
    public void Empty_ids_in_a_customer_list_are_reported()
    {
        var result = Validate(ValidJourney() with { Entry = new CustomerListEntry(["a", "", null!]) });

        Assert.Equal(["entry.customerIds[1]", "entry.customerIds[2]"], result.Diagnostics.Select(d => d.Path));
        Assert.All(result.Diagnostics, d => Assert.Equal(DiagnosticCodes.InvalidCustomerId, d.Code));
    }

    [Fact]
    public void An_event_entry_needs_an_event_name()
    {
        Only(Validate(ValidJourney() with { Entry = new EventEntry(" ") }), DiagnosticCodes.MissingEventName);
        Assert.Empty(Validate(ValidJourney() with { Entry = new EventEntry("cart_abandoned") }).Diagnostics);
    }

    [Fact]
    public void Re_entry_after_a_cooldown_needs_a_positive_cooldown()
    {
        Only(Validate(ValidJourney() with { EntryRules = new EntryRules(ReEntryMode.AfterCooldown) }), DiagnosticCodes.InvalidCooldown);
        Only(Validate(ValidJourney() with { EntryRules = new EntryRules(ReEntryMode.AfterCooldown, TimeSpan.Zero) }), DiagnosticCodes.InvalidCooldown);
        Assert.Empty(Validate(ValidJourney() with { EntryRules = new EntryRules(ReEntryMode.AfterExit) }).Diagnostics);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void The_entry_cap_must_be_positive(int cap)
    {
        Only(Validate(ValidJourney() with { EntryRules = new EntryRules(EntryCap: cap) }), DiagnosticCodes.InvalidEntryCap);
    }

    [Fact]
    public void The_entry_window_must_end_after_it_starts()
    {
        Only(Validate(ValidJourney() with { EntryRules = new EntryRules(WindowStart: Start, WindowEnd: Start) }), DiagnosticCodes.InvalidEntryWindow);
        Assert.Empty(Validate(ValidJourney() with { EntryRules = new EntryRules(WindowEnd: Start) }).Diagnostics);
    }

    [Fact]
    public void Unknown_re_entry_modes_and_missing_rules_are_reported()
    {
        Only(Validate(ValidJourney() with { EntryRules = new EntryRules((ReEntryMode)8) }), DiagnosticCodes.InvalidEnumValue);
        Only(Validate(ValidJourney() with { EntryRules = null! }), DiagnosticCodes.MissingEntryRules);
        Only(Validate(ValidJourney() with { ExitRules = null! }), DiagnosticCodes.MissingExitRules);
    }

    [Fact]
    public void Goals_need_an_event_name()
    {
        var result = Validate(ValidJourney() with { ExitRules = new ExitRules([new GoalEvent("purchase"), new GoalEvent(""), null!]) });

        Assert.Equal(
            [(DiagnosticCodes.MissingEventName, "exitRules.goals[1].eventName"), (DiagnosticCodes.NullItem, "exitRules.goals[2]")],
            result.Diagnostics.Select(d => (d.Code, d.Path)));
    }

    [Fact]
    public void Every_problem_is_returned_at_once()
    {
        var journey = ValidJourney() with { Version = 0, Entry = new EventEntry("") };
        journey = journey with
        {
            Nodes = journey.Nodes
                .Select(n => n switch
                {
                    SendNode s => s with { Campaign = new CampaignReference("nope", []) },
                    WebhookNode w => w with { Url = "http://x" },
                    DelayNode { Id: "wait-1h" } d => d with { Delay = new DurationDelay(TimeSpan.Zero) },
                    _ => n,
                })
                .ToEquatableArray(),
        };

        var result = Validate(journey);

        Assert.Equal(
            [DiagnosticCodes.InvalidVersion, DiagnosticCodes.MissingEventName, DiagnosticCodes.UnknownCampaign, DiagnosticCodes.InvalidDuration, DiagnosticCodes.InvalidWebhookUrl],
            result.Diagnostics.Select(d => d.Code));
        Assert.Equal(5, result.ErrorCount);
    }
}
