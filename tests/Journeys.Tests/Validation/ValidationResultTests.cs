using Journeys.Validation;
using static Journeys.Tests.Validation.ValidationTestData;

namespace Journeys.Tests.Validation;

public sealed class ValidationResultTests
{
    private static readonly JourneyDiagnostic Error = new(DiagnosticCodes.UnknownCampaign, DiagnosticSeverity.Error, "send-1", "Send node \"send-1\" sends the campaign 'x', which is not in the campaign catalog.", "nodes[send-1].campaign.campaignId");

    private static readonly JourneyDiagnostic Warning = new(DiagnosticCodes.SinglePath, DiagnosticSeverity.Warning, "split", "Random split node \"split\" has only one path.");

    [Fact]
    public void Warnings_alone_keep_a_result_valid()
    {
        var result = new ValidationResult([Warning]);

        Assert.True(result.IsValid);
        Assert.Equal((0, 1), (result.ErrorCount, result.WarningCount));
        Assert.Equal([Warning], result.Warnings);
        Assert.Empty(result.Errors);
        result.ThrowIfInvalid();
    }

    [Fact]
    public void An_error_makes_a_result_invalid()
    {
        var result = new ValidationResult([Warning, Error, null!], "cart");

        Assert.False(result.IsValid);
        Assert.Equal([Warning, Error], result.Diagnostics);
        Assert.Equal([Error], result.Errors);
    }

    [Fact]
    public void The_text_lists_every_diagnostic()
    {
        var text = new ValidationResult([Error, Warning], "cart").ToString();

        Assert.Equal(
            "Journey 'cart' is not valid: 1 error, 1 warning.\n" +
            "- error unknown-campaign at nodes[send-1].campaign.campaignId: Send node \"send-1\" sends the campaign 'x', which is not in the campaign catalog.\n" +
            "- warning single-path: Random split node \"split\" has only one path.",
            text);
    }

    [Fact]
    public void The_text_of_a_huge_result_is_capped()
    {
        var result = new ValidationResult(Enumerable.Repeat(Error, 250).ToEquatableArray());

        var text = result.ToString();

        Assert.Equal(102, text.Split('\n').Length);
        Assert.EndsWith("- ... and 150 more.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowIfInvalid_throws_an_exception_carrying_the_result()
    {
        var result = Validate(ValidJourney() with { Version = 0 });

        var exception = Assert.Throws<JourneyValidationException>(result.ThrowIfInvalid);

        Assert.Same(result, exception.Result);
        Assert.Equal(result.Diagnostics, exception.Diagnostics);
        Assert.Equal("cart", exception.JourneyId);
        Assert.StartsWith("Journey 'cart' is not valid: 1 error, 0 warnings.", exception.Message, StringComparison.Ordinal);
        Assert.Contains("invalid-version at version", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_exception_refuses_a_null_result()
    {
        Assert.Throws<ArgumentNullException>(() => new JourneyValidationException(null!));
    }

    [Fact]
    public void Every_code_is_distinct_kebab_case()
    {
        var codes = typeof(DiagnosticCodes).GetFields().Select(f => (string)f.GetValue(null)!).ToList();

        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, c => Assert.Matches("^[a-z]+(-[a-z]+)*$", c));
    }
}
