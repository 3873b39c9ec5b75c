using Journeys.Model;
using Journeys.Serialization.Documents;

namespace Journeys.Serialization;

internal static partial class DocumentReader
{
    public static JourneyNode ReadNode(NodeDocument d, string path)
    {
        if (d.GetType() == typeof(NodeDocument))
        {
            throw MissingType(path, NodeTypes);
        }

        var id = Required(d.Id, path, "id");
        return d switch
        {
            SendNodeDocument x => new SendNode(id, Required(x.Channel, path, "channel"), ReadCampaign(x.CampaignId, x.Variables, path), x.Next),
            FilterNodeDocument x => new FilterNode(
                id,
                ReadList(Required(x.Branches, path, "branches"), path + ".branches", static (b, p) =>
                    new FilterBranch(ReadCondition(Required(b.Condition, p, "condition"), p + ".condition"), b.Next)),
                x.Else),
            WaitForEventNodeDocument x => new WaitForEventNode(
                id,
                Required(x.Event, path, "event"),
                Required(x.Timeout, path, "timeout"),
                x.OnEvent,
                x.OnTimeout,
                x.CorrelatedNodeId,
                ReadOptionalCondition(x.Condition, path + ".condition"),
                ReadOptionalList(x.Branches, path + ".branches", static (b, p) =>
                    new EventBranch(ReadCondition(Required(b.Condition, p, "condition"), p + ".condition"), b.Target))),
            RandomSplitNodeDocument x => new RandomSplitNode(
                id,
                ReadList(Required(x.Paths, path, "paths"), path + ".paths", static (r, p) => new RandomPath(ReadWeight(r.Weight, p), r.Next))),
            RetargetingNodeDocument x => new RetargetingNode(
                id,
                Required(x.ConversionEvent, path, "conversionEvent"),
                Required(x.Window, path, "window"),
                ReadOptionalList(x.Reminders, path + ".reminders", static (r, p) =>
                    new RetargetingReminder(Required(r.After, p, "after"), Required(r.Channel, p, "channel"), ReadCampaign(r.CampaignId, r.Variables, p))),
                x.OnConverted,
                x.OnExhausted),
            DelayNodeDocument x => new DelayNode(id, ReadDelay(Required(x.Delay, path, "delay"), path + ".delay"), x.Next),
            WebhookNodeDocument x => new WebhookNode(
                id,
                Required(x.Url, path, "url"),
                ReadOptionalList(x.Fields, path + ".fields", static (f, _) => f),
                Required(x.Timeout, path, "timeout"),
                ReadMaxRetries(x.MaxRetries, path),
                x.OnSuccess,
                x.OnFailure),
            UpdateCustomerNodeDocument x => new UpdateCustomerNode(id, Required(x.Field, path, "field"), x.Value, x.Next),
            ExitNodeDocument x => new ExitNode(id, Required(x.Reason, path, "reason")),
            _ => throw MissingType(path, NodeTypes),
        };
    }

    private static double ReadWeight(double? weight, string path)
    {
        var value = Required(weight, path, "weight");
        return double.IsFinite(value)
            ? value
            : throw new JourneyJsonException(path + ".weight", "The weight must be a finite number.", null);
    }

    private static int ReadMaxRetries(int? maxRetries, string path) => maxRetries switch
    {
        null => 0,
        < 0 => throw new JourneyJsonException(path + ".maxRetries", $"maxRetries must be 0 or more, not {maxRetries}.", null),
        { } value => value,
    };
}
