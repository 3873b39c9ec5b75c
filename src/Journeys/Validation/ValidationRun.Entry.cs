using Journeys.Model;

namespace Journeys.Validation;

internal sealed partial class ValidationRun
{
    private void CheckEntry(JourneyEntry? entry)
    {
        switch (entry)
        {
            case null:
                Error(DiagnosticCodes.MissingEntry, null, "entry", "The journey has no entry: say who enters it (all customers, a list, a filter or an event).");
                break;
            case CustomerListEntry list:
                if (list.CustomerIds.IsEmpty && !list.AcceptsAdditions)
                {
                    Error(DiagnosticCodes.EmptyAudience, null, "entry.customerIds", "The journey's customer list is empty and accepts no additions, so it can never match anyone.");
                }

                for (var k = 0; k < list.CustomerIds.Count; k++)
                {
                    if (string.IsNullOrWhiteSpace(list.CustomerIds[k]))
                    {
                        Error(DiagnosticCodes.InvalidCustomerId, null, $"entry.customerIds[{Number(k)}]", $"The journey's customer list has an empty customer id at position {Number(k + 1)}.");
                    }
                    else if (IdLimits.IsCustomerIdTooLong(list.CustomerIds[k]))
                    {
                        Error(DiagnosticCodes.InvalidCustomerId, null, $"entry.customerIds[{Number(k)}]", $"The journey's customer list has a customer id at position {Number(k + 1)} that {IdLimits.CustomerIdTooLong(list.CustomerIds[k].Length)}.");
                    }
                }

                break;
            case FilterEntry filter:
                CheckCustomerCondition(filter.Condition, null, "entry.condition", "The journey's entry filter");
                break;
            case EventEntry eventEntry:
                if (string.IsNullOrWhiteSpace(eventEntry.EventName))
                {
                    Error(DiagnosticCodes.MissingEventName, null, "entry.eventName", "The journey's entry event has no name: say which event makes customers enter.");
                }

                if (eventEntry.PropertyCondition is not null)
                {
                    CheckEventCondition(eventEntry.PropertyCondition, null, "entry.propertyCondition", $"The journey's entry event '{eventEntry.EventName}'");
                }

                break;
        }
    }

    private void CheckEntryRules(EntryRules? rules)
    {
        if (rules is null)
        {
            Error(DiagnosticCodes.MissingEntryRules, null, "entryRules", "The journey has no entry rules (re-entry, cap and window).");
            return;
        }

        if (!Enum.IsDefined(rules.ReEntry))
        {
            Error(DiagnosticCodes.InvalidEnumValue, null, "entryRules.reEntry", $"The journey's re-entry mode ({Number((int)rules.ReEntry)}) is not a known mode.");
        }
        else if (rules.ReEntry == ReEntryMode.AfterCooldown && rules.Cooldown is null)
        {
            Error(DiagnosticCodes.InvalidCooldown, null, "entryRules.cooldown", "Customers may re-enter after a cooldown, but no cooldown is given.");
        }
        else if (rules.ReEntry == ReEntryMode.AfterCooldown && rules.Cooldown <= TimeSpan.Zero)
        {
            Error(DiagnosticCodes.InvalidCooldown, null, "entryRules.cooldown", $"Customers may re-enter after a cooldown of {Duration(rules.Cooldown.Value)}; the cooldown must be longer than zero.");
        }

        if (rules.EntryCap is <= 0)
        {
            Error(DiagnosticCodes.InvalidEntryCap, null, "entryRules.entryCap", $"The journey's entry cap is {Number(rules.EntryCap.Value)}; it must be at least 1 (or not set, for no cap).");
        }

        if (rules.WindowStart is { } start && rules.WindowEnd is { } end && end <= start)
        {
            Error(DiagnosticCodes.InvalidEntryWindow, null, "entryRules.windowEnd", $"The journey's entry window ends ({end:O}) at or before it starts ({start:O}), so nobody could enter.");
        }
    }

    private void CheckExitRules(ExitRules? rules)
    {
        if (rules is null)
        {
            Error(DiagnosticCodes.MissingExitRules, null, "exitRules", "The journey has no exit rules (goal events).");
            return;
        }

        for (var k = 0; k < rules.Goals.Count; k++)
        {
            var goal = rules.Goals[k];
            var path = $"exitRules.goals[{Number(k)}]";
            if (goal is null)
            {
                Error(DiagnosticCodes.NullItem, null, path, $"Goal {Number(k + 1)} of the journey is empty (null).");
                continue;
            }

            if (string.IsNullOrWhiteSpace(goal.EventName))
            {
                Error(DiagnosticCodes.MissingEventName, null, $"{path}.eventName", $"Goal {Number(k + 1)} of the journey has no event name: say which event counts as a conversion.");
            }

            if (goal.PropertyCondition is not null)
            {
                CheckEventCondition(goal.PropertyCondition, null, $"{path}.propertyCondition", $"The goal event '{goal.EventName}'");
            }
        }
    }
}
