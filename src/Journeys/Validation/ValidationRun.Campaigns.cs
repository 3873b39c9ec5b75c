using Journeys.Model;

namespace Journeys.Validation;

internal sealed partial class ValidationRun
{
    /// <summary>Checks what a send node or a retargeting reminder sends: channel, campaign and variable bindings.</summary>
    private void CheckSend(string? id, string subject, string path, Channel channel, CampaignReference? reference)
    {
        var channelName = channel.Name;
        if (channelName.Length == 0)
        {
            Error(DiagnosticCodes.MissingChannel, id, $"{path}.channel", $"{subject} does not say which channel it sends on.");
        }

        var campaignPath = $"{path}.campaign";
        if (reference is null)
        {
            Error(DiagnosticCodes.MissingCampaign, id, campaignPath, $"{subject} has no campaign to send.");
            return;
        }

        Campaign? campaign = null;
        var campaignId = reference.CampaignId;
        if (string.IsNullOrWhiteSpace(campaignId))
        {
            Error(DiagnosticCodes.MissingCampaign, id, $"{campaignPath}.campaignId", $"{subject} has no campaign id: say which campaign it sends.");
        }
        else if (_catalog is not null && !_catalog.TryGet(campaignId, out campaign))
        {
            Error(DiagnosticCodes.UnknownCampaign, id, $"{campaignPath}.campaignId", $"{subject} sends the campaign '{campaignId}', which is not in the campaign catalog.");
        }

        if (campaign is not null && channelName.Length > 0 && campaign.Channel != channel)
        {
            Error(DiagnosticCodes.ChannelMismatch, id, $"{path}.channel", $"{subject} sends on the {channelName} channel, but the campaign '{campaign.Id}' is made for the {campaign.Channel.Name} channel.");
        }

        CheckBindings(id, subject, campaignPath, reference.Variables, campaign);
    }

    private void CheckBindings(string? id, string subject, string campaignPath, EquatableArray<VariableBinding> bindings, Campaign? campaign)
    {
        var bound = new HashSet<string>(StringComparer.Ordinal);
        for (var k = 0; k < bindings.Count; k++)
        {
            var binding = bindings[k];
            var bindingPath = $"{campaignPath}.variables[{Number(k)}]";
            if (binding is null)
            {
                Error(DiagnosticCodes.NullItem, id, bindingPath, $"{subject}: variable binding {Number(k + 1)} is empty (null).");
                continue;
            }

            var variable = binding.Variable;
            if (string.IsNullOrWhiteSpace(variable))
            {
                Error(DiagnosticCodes.InvalidBinding, id, $"{bindingPath}.variable", $"{subject}: variable binding {Number(k + 1)} does not say which template variable it fills.");
            }
            else if (!bound.Add(variable))
            {
                Error(DiagnosticCodes.DuplicateBinding, id, $"{bindingPath}.variable", $"{subject} binds the template variable {{{{{variable}}}}} more than once; keep one binding.");
            }
            else if (campaign is not null && !Contains(campaign.Variables, variable))
            {
                Warning(DiagnosticCodes.UnusedBinding, id, $"{bindingPath}.variable", $"{subject} binds the variable {{{{{variable}}}}}, which the template of campaign '{campaign.Id}' does not use.");
            }

            var role = string.IsNullOrWhiteSpace(variable) ? "variable binding" : $"binding of {{{{{variable}}}}}";
            _ = ResolveField(binding.Field, id, $"{bindingPath}.field", subject, role);
        }

        if (campaign is null)
        {
            return;
        }

        foreach (var variable in campaign.Variables)
        {
            if (variable is not null && !bound.Contains(variable))
            {
                Error(DiagnosticCodes.UnboundVariable, id, $"{campaignPath}.variables", $"{subject}: the template of campaign '{campaign.Id}' uses the variable {{{{{variable}}}}}, but the node does not bind it to a customer field.");
            }
        }
    }

    private static bool Contains(EquatableArray<string> items, string value)
    {
        foreach (var item in items)
        {
            if (string.Equals(item, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
