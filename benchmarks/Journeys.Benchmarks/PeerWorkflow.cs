using WorkflowCore.Interface;

namespace Journeys.Benchmarks;

/// <summary>
/// The journey as a WorkflowCore workflow: five inline steps in a line (filter, split, send, update, send), with the
/// delay step between the first send and the update in the delay variant. A line of inline steps is the cheapest
/// shape WorkflowCore offers for it (no <c>If</c>/<c>Decide</c> container steps).
/// </summary>
internal sealed class PeerWorkflow(PeerSteps steps) : IWorkflow<PeerCustomerData>
{
    public string Id => WorkflowCoreScenario.WorkflowId;

    public int Version => 1;

    public void Build(IWorkflowBuilder<PeerCustomerData> builder)
    {
        var welcomed = builder
            .StartWith(steps.Filter)
            .Then(steps.ChoosePath)
            .Then(steps.SendWelcome);
        if (steps.Delay is not null)
        {
            welcomed = welcomed.Then(steps.Wait);
        }

        welcomed
            .Then(steps.Update)
            .Then(steps.SendFollowUp);
    }
}
