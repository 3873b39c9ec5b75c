using Journeys.Storage;

namespace Journeys.Tests.Storage;

public sealed class WorkItemTests
{
    [Theory]
    [InlineData("0f8fad5bd9cb469fa16570867728950e/push/1", true)]
    [InlineData("0f8fad5bd9cb469fa16570867728950e/push/3-reminder-1", true)]
    [InlineData("0f8fad5bd9cb469fa16570867728950e/", false)]
    [InlineData("0f8fad5bd9cb469fa16570867728950f/push/1", false)]
    [InlineData("0f8fad5b-d9cb-469f-a165-70867728950e/push/1", false)]
    [InlineData("push/1", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void A_message_id_is_an_enrollments_own_when_it_starts_with_the_enrollment_id_and_a_slash(string? messageId, bool own) =>
        Assert.Equal(own, WorkItem.IsOwnMessage(messageId, Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")));

    [Fact]
    public void A_message_id_made_by_the_executor_is_its_enrollments_own()
    {
        var id = Guid.NewGuid();
        Assert.True(WorkItem.IsOwnMessage(Journeys.Runtime.StepExecutor.MessageId(id, "push", 7), id));
        Assert.False(WorkItem.IsOwnMessage(Journeys.Runtime.StepExecutor.MessageId(Guid.NewGuid(), "push", 7), id));
    }
}
