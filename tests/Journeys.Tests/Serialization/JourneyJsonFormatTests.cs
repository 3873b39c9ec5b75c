using Journeys.Serialization;

namespace Journeys.Tests.Serialization;

public sealed class JourneyJsonFormatTests
{
    private static JourneyDefinition Welcome() => new(
        "welcome",
        "Welcome series",
        2,
        JourneyStatus.Active,
        new EventEntry("signed_up", Condition.Eq("source", "web")),
        new EntryRules(ReEntryMode.AfterCooldown, Cooldown: TimeSpan.FromDays(30), WindowStart: new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.FromHours(1))),
        new ExitRules([new GoalEvent("purchase")]),
        [
            new SendNode("hello", Channel.Email, new CampaignReference("welcome-mail", [new VariableBinding("name", "firstName", "there")]), "wait"),
            new DelayNode("wait", new DurationDelay(TimeSpan.FromHours(36)), "vip"),
            new FilterNode(
                "vip",
                [new FilterBranch(Condition.All(Condition.Gte("score", 80), Condition.Anniversary("birthDate")), "mark")],
                "bye"),
            new UpdateCustomerNode("mark", "vipSince", FieldValue.FromDateTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), "bye"),
            new ExitNode("bye", "done"),
        ],
        "hello",
        "Europe/Madrid");

    [Fact]
    public void A_small_journey_has_exactly_the_documented_format()
    {
        Assert.Equal(Golden, JourneyJson.Serialize(Welcome(), indented: true));
        Assert.Equal(Welcome(), JourneyJson.Deserialize(Golden));
    }

    // The documented format (docs/json-format.md); a change here is a change of the public contract.
    private const string Golden = """
        {
          "schemaVersion": 1,
          "id": "welcome",
          "name": "Welcome series",
          "version": 2,
          "status": "active",
          "timeZone": "Europe/Madrid",
          "entry": {
            "type": "event",
            "event": "signed_up",
            "condition": {
              "type": "field",
              "field": "source",
              "op": "eq",
              "value": "web"
            }
          },
          "entryRules": {
            "reEntry": "afterCooldown",
            "cooldown": "P30D",
            "windowStart": "2026-01-01T09:00:00+01:00"
          },
          "exitRules": {
            "goals": [
              {
                "event": "purchase"
              }
            ]
          },
          "startNodeId": "hello",
          "nodes": [
            {
              "type": "send",
              "id": "hello",
              "channel": "email",
              "campaignId": "welcome-mail",
              "variables": [
                {
                  "variable": "name",
                  "field": "firstName",
                  "default": "there"
                }
              ],
              "next": "wait"
            },
            {
              "type": "delay",
              "id": "wait",
              "delay": {
                "type": "duration",
                "duration": "P1DT12H"
              },
              "next": "vip"
            },
            {
              "type": "filter",
              "id": "vip",
              "branches": [
                {
                  "condition": {
                    "type": "all",
                    "conditions": [
                      {
                        "type": "field",
                        "field": "score",
                        "op": "gte",
                        "value": 80
                      },
                      {
                        "type": "date",
                        "field": "birthDate",
                        "op": "eq",
                        "offset": "PT0S",
                        "part": "dayAndMonth"
                      }
                    ]
                  },
                  "next": "mark"
                }
              ],
              "else": "bye"
            },
            {
              "type": "updateCustomer",
              "id": "mark",
              "field": "vipSince",
              "value": {
                "dateTime": "2026-01-01T00:00:00Z"
              },
              "next": "bye"
            },
            {
              "type": "exit",
              "id": "bye",
              "reason": "done"
            }
          ]
        }
        """;
}
