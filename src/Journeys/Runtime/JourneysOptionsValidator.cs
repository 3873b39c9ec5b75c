using Microsoft.Extensions.Options;

namespace Journeys.Runtime;

/// <summary>Validates <see cref="JourneysOptions"/> at start, listing every problem.</summary>
internal sealed class JourneysOptionsValidator : IValidateOptions<JourneysOptions>
{
    public ValidateOptionsResult Validate(string? name, JourneysOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
