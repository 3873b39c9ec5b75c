using Journeys.Model;

namespace Journeys.Validation;

internal sealed partial class ValidationRun
{
    private const int MaxWebhookRetries = 10;

    /// <summary>The shortest timeout of one webhook attempt: that of the call's timeout strategy (Polly), as for <c>WebhookOptions.Timeout</c>.</summary>
    internal static readonly TimeSpan MinWebhookTimeout = TimeSpan.FromMilliseconds(10);

    /// <summary>The longest timeout of one webhook attempt (Polly's limit too).</summary>
    internal static readonly TimeSpan MaxWebhookTimeout = TimeSpan.FromHours(24);

    private void CheckNode(JourneyGraph graph, int index, JourneyNode node)
    {
        var label = graph.Labels[index];
        var path = graph.Paths[index];
        var id = node.Id;
        switch (node)
        {
            case SendNode send:
                CheckSend(id, label, path, send.Channel, send.Campaign);
                break;
            case FilterNode filter:
                CheckFilter(id, label, path, filter);
                break;
            case WaitForEventNode wait:
                CheckWait(graph, id, label, path, wait);
                break;
            case RandomSplitNode split:
                CheckRandomSplit(id, label, path, split);
                break;
            case RetargetingNode retargeting:
                CheckRetargeting(id, label, path, retargeting);
                break;
            case DelayNode delay:
                CheckDelay(id, label, path, delay.Delay);
                break;
            case WebhookNode webhook:
                CheckWebhook(id, label, path, webhook);
                break;
            case UpdateCustomerNode update:
                CheckUpdate(id, label, path, update);
                break;
            case ExitNode exit when string.IsNullOrWhiteSpace(exit.Reason):
                Warning(DiagnosticCodes.MissingExitReason, id, $"{path}.reason", $"{label} has no exit reason: statistics cannot tell its exits apart from others.");
                break;
        }
    }

    private void CheckFilter(string? id, string label, string path, FilterNode filter)
    {
        if (filter.Branches.IsEmpty)
        {
            Warning(DiagnosticCodes.NoBranches, id, $"{path}.branches", $"{label} has no branches: every customer takes its 'else' path.");
        }

        for (var k = 0; k < filter.Branches.Count; k++)
        {
            var branch = filter.Branches[k];
            var branchPath = $"{path}.branches[{Number(k)}]";
            var subject = $"{label}, branch {Number(k + 1)}";
            if (branch is null)
            {
                Error(DiagnosticCodes.NullItem, id, branchPath, $"{subject} is empty (null).");
                continue;
            }

            CheckCustomerCondition(branch.Condition, id, $"{branchPath}.condition", subject);
        }
    }

    private void CheckWait(JourneyGraph graph, string? id, string label, string path, WaitForEventNode wait)
    {
        if (string.IsNullOrWhiteSpace(wait.EventName))
        {
            Error(DiagnosticCodes.MissingEventName, id, $"{path}.eventName", $"{label} does not say which event it waits for.");
        }

        if (wait.Timeout <= TimeSpan.Zero)
        {
            Error(DiagnosticCodes.InvalidDuration, id, $"{path}.timeout", $"{label} has a timeout of {Duration(wait.Timeout)}; it must be longer than zero.");
        }

        var correlated = wait.CorrelatedNodeId;
        if (correlated is not null)
        {
            var correlatedPath = $"{path}.correlatedNodeId";
            if (string.IsNullOrWhiteSpace(correlated))
            {
                Error(DiagnosticCodes.InvalidCorrelation, id, correlatedPath, $"{label} is correlated to a message but names no send node.");
            }
            else if (!graph.IndexById.TryGetValue(correlated, out var target))
            {
                Error(DiagnosticCodes.InvalidCorrelation, id, correlatedPath, $"{label} waits for an event about the message of node \"{correlated}\", which is not in the journey.");
            }
            else if (graph.Nodes[target] is not SendNode)
            {
                Error(DiagnosticCodes.InvalidCorrelation, id, correlatedPath, $"{label} waits for an event about the message of {graph.Labels[target]}, which sends no message; correlate it to a send node.");
            }
        }

        if (wait.PropertyCondition is not null)
        {
            CheckEventCondition(wait.PropertyCondition, id, $"{path}.propertyCondition", $"{label}, event condition");
        }

        if (!wait.Branches.IsEmpty && wait.OnEvent is not null)
        {
            Error(DiagnosticCodes.BranchesWithOnEvent, id, $"{path}.onEvent", $"{label} has event branches and also an 'onEvent' connection to node \"{wait.OnEvent}\"; with branches each branch names where the customer goes, so remove 'onEvent'.");
        }

        for (var k = 0; k < wait.Branches.Count; k++)
        {
            var branch = wait.Branches[k];
            var branchPath = $"{path}.branches[{Number(k)}]";
            var subject = $"{label}, event branch {Number(k + 1)}";
            if (branch is null)
            {
                Error(DiagnosticCodes.NullItem, id, branchPath, $"{subject} is empty (null).");
                continue;
            }

            CheckEventCondition(branch.Condition, id, $"{branchPath}.condition", subject);
        }
    }

    private void CheckRandomSplit(string? id, string label, string path, RandomSplitNode split)
    {
        var paths = split.Paths;
        if (paths.IsEmpty)
        {
            Error(DiagnosticCodes.MissingPaths, id, $"{path}.paths", $"{label} has no paths: customers who arrive would have nowhere to go.");
            return;
        }

        if (paths.Count == 1)
        {
            Warning(DiagnosticCodes.SinglePath, id, $"{path}.paths", $"{label} has only one path, so it does not split anyone.");
        }

        for (var k = 0; k < paths.Count; k++)
        {
            var randomPath = paths[k];
            var itemPath = $"{path}.paths[{Number(k)}]";
            if (randomPath is null)
            {
                Error(DiagnosticCodes.NullItem, id, itemPath, $"{label}: path {Number(k + 1)} is empty (null).");
            }
            else if (!double.IsFinite(randomPath.Weight) || randomPath.Weight <= 0)
            {
                Error(DiagnosticCodes.InvalidWeight, id, $"{itemPath}.weight", $"{label}: path {Number(k + 1)} has weight {randomPath.Weight.ToString(System.Globalization.CultureInfo.InvariantCulture)}; weights must be positive numbers.");
            }
        }
    }

    private void CheckRetargeting(string? id, string label, string path, RetargetingNode node)
    {
        if (string.IsNullOrWhiteSpace(node.ConversionEvent))
        {
            Error(DiagnosticCodes.MissingEventName, id, $"{path}.conversionEvent", $"{label} does not say which event counts as a conversion.");
        }

        var windowValid = node.Window > TimeSpan.Zero;
        if (!windowValid)
        {
            Error(DiagnosticCodes.InvalidDuration, id, $"{path}.window", $"{label} has a conversion window of {Duration(node.Window)}; it must be longer than zero.");
        }

        TimeSpan? previous = null;
        for (var k = 0; k < node.Reminders.Count; k++)
        {
            var reminder = node.Reminders[k];
            var reminderPath = $"{path}.reminders[{Number(k)}]";
            var subject = $"{label}, reminder {Number(k + 1)}";
            if (reminder is null)
            {
                Error(DiagnosticCodes.NullItem, id, reminderPath, $"{subject} is empty (null).");
                continue;
            }

            if (reminder.After <= TimeSpan.Zero)
            {
                Error(DiagnosticCodes.InvalidDuration, id, $"{reminderPath}.after", $"{subject} is sent {Duration(reminder.After)} after arrival; it must be later than zero.");
            }
            else if (windowValid && reminder.After >= node.Window)
            {
                Error(DiagnosticCodes.InvalidReminderSchedule, id, $"{reminderPath}.after", $"{subject} is sent {Duration(reminder.After)} after arrival, which is not within the {Duration(node.Window)} conversion window.");
            }

            if (previous is { } before && reminder.After <= before)
            {
                Error(DiagnosticCodes.InvalidReminderSchedule, id, $"{reminderPath}.after", $"{subject} is sent {Duration(reminder.After)} after arrival, not after the reminder before it ({Duration(before)}); list reminders in increasing order.");
            }

            previous = reminder.After;
            CheckSend(id, subject, reminderPath, reminder.Channel, reminder.Campaign);
        }
    }

    private void CheckDelay(string? id, string label, string path, DelaySpec? delay)
    {
        var delayPath = $"{path}.delay";
        switch (delay)
        {
            case null:
                Error(DiagnosticCodes.MissingDelay, id, delayPath, $"{label} does not say how long to wait.");
                break;
            case DurationDelay duration when duration.Duration <= TimeSpan.Zero:
                Error(DiagnosticCodes.InvalidDuration, id, $"{delayPath}.duration", $"{label} waits {Duration(duration.Duration)}; a delay must be longer than zero.");
                break;
            case UntilFieldDelay untilField:
                var field = ResolveField(untilField.Field, id, $"{delayPath}.field", label, "delay");
                if (field is not null && field.Type != FieldType.DateTime)
                {
                    Error(DiagnosticCodes.TypeMismatch, id, $"{delayPath}.field", $"{label} waits until the customer field '{field.Name}', which is a {field.Type} field; it must be a DateTime field.");
                }

                break;
        }
    }

    private void CheckWebhook(string? id, string label, string path, WebhookNode webhook)
    {
        var url = webhook.Url;
        if (string.IsNullOrWhiteSpace(url))
        {
            Error(DiagnosticCodes.InvalidWebhookUrl, id, $"{path}.url", $"{label} has no URL; give an absolute https URL such as https://crm.example.com/hook.");
        }
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.IsFile || string.IsNullOrEmpty(uri.Host))
        {
            Error(DiagnosticCodes.InvalidWebhookUrl, id, $"{path}.url", $"{label}: '{url}' is not an absolute URL; give an absolute https URL such as https://crm.example.com/hook.");
        }
        else if (!_options.IsWebhookSchemeAllowed(uri))
        {
            var hint = string.Equals(uri.Scheme, Uri.UriSchemeHttp, StringComparison.Ordinal)
                ? $" (plain http is accepted only for hosts the application allow-lists in WebhookOptions.AllowedHttpHosts; '{uri.Host}' is not one)"
                : string.Empty;
            Error(DiagnosticCodes.InvalidWebhookUrl, id, $"{path}.url", $"{label}: '{url}' uses {uri.Scheme}; webhooks must use https{hint}.");
        }

        for (var k = 0; k < webhook.Fields.Count; k++)
        {
            var fieldPath = $"{path}.fields[{Number(k)}]";
            if (webhook.Fields[k] is null)
            {
                Error(DiagnosticCodes.NullItem, id, fieldPath, $"{label}: field {Number(k + 1)} of the fields it sends is empty (null).");
                continue;
            }

            _ = ResolveField(webhook.Fields[k], id, fieldPath, label, "list of fields it sends");
        }

        if (webhook.Timeout < MinWebhookTimeout || webhook.Timeout > MaxWebhookTimeout)
        {
            // Outside these the call could not be made at all (its timeout strategy refuses them).
            Error(DiagnosticCodes.InvalidDuration, id, $"{path}.timeout", $"{label} has a timeout of {Duration(webhook.Timeout)}; it must be between 10 ms and 24 h.");
        }

        if (webhook.MaxRetries is < 0 or > MaxWebhookRetries)
        {
            Error(DiagnosticCodes.InvalidRetries, id, $"{path}.maxRetries", $"{label} retries {Number(webhook.MaxRetries)} times; use 0 to {Number(MaxWebhookRetries)}.");
        }
    }

    private void CheckUpdate(string? id, string label, string path, UpdateCustomerNode update)
    {
        var field = ResolveField(update.Field, id, $"{path}.field", label, "update");
        if (field is not null && !update.Value.IsNull && update.Value.Type != field.Type)
        {
            Error(DiagnosticCodes.TypeMismatch, id, $"{path}.value", $"{label} sets the {field.Type} field '{field.Name}' to the {update.Value.Type} value '{update.Value}'; give a {field.Type} value (or null to clear it).");
        }
    }
}
