using Microsoft.Extensions.Options;

namespace Journeys.Sqlite;

/// <summary>Validates <see cref="SqliteStoreOptions"/> at start, listing every problem.</summary>
internal sealed class SqliteStoreOptionsValidator : IValidateOptions<SqliteStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStoreOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
