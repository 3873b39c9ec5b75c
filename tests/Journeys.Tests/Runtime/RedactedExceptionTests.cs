using System.Runtime.CompilerServices;
using Journeys.Runtime;

namespace Journeys.Tests.Runtime;

public sealed class RedactedExceptionTests
{
    [Fact]
    public void Keeps_the_types_and_stack_traces_of_the_chain_and_drops_every_message()
    {
        var original = Capture(() => Outer("alice@example.com"));

        var redacted = RedactedException.From(original);
        var text = redacted.ToString();

        Assert.Equal(typeof(InvalidOperationException), ((RedactedException)redacted).OriginalType);
        Assert.Contains("System.InvalidOperationException", text, StringComparison.Ordinal);
        Assert.Contains("System.FormatException", text, StringComparison.Ordinal);
        Assert.Contains(nameof(Outer), text, StringComparison.Ordinal);
        Assert.Contains(nameof(Inner), text, StringComparison.Ordinal);
        Assert.DoesNotContain("alice@example.com", text, StringComparison.Ordinal);
        Assert.Equal(original.StackTrace, redacted.StackTrace);
        Assert.Same(redacted, RedactedException.From(redacted));
    }

    private static Exception Capture(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            return ex;
        }

        throw new InvalidOperationException("The action did not throw.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Outer(string customerId)
    {
        try
        {
            Inner(customerId);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"Customer {customerId} could not be read.", ex);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Inner(string customerId) => throw new FormatException($"Bad value for {customerId}.");
}
