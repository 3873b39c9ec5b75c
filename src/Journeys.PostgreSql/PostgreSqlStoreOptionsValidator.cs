using Microsoft.Extensions.Options;

namespace Journeys.PostgreSql;

/// <summary>Runs <see cref="PostgreSqlStoreOptions.Validate"/> when the options are built (at start, with <c>ValidateOnStart</c>).</summary>
internal sealed class PostgreSqlStoreOptionsValidator : IValidateOptions<PostgreSqlStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgreSqlStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
