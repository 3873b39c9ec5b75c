using Journeys.AspNetCore.Contracts;
using Journeys.Building;
using Journeys.Serialization;
using Journeys.Serialization.StateDocuments;
using Journeys.Storage;
using Journeys.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Journeys.AspNetCore;

/// <summary>
/// Turns the exceptions the manager and the readers document into RFC 9457 problem details: a bad document is 400
/// naming its JSON path, an unknown journey 404, an edit of an active journey 409, a stale <c>If-Match</c> 412, an
/// invalid journey on start 422 with every diagnostic. Anything else is left to the host's error handling.
/// </summary>
internal sealed class JourneysProblemFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (ApiProblemException ex)
        {
            return Problem(ex.StatusCode, ex.Title, ex.Detail, ex.Extensions);
        }
        catch (JourneyJsonException ex)
        {
            var extensions = new Dictionary<string, object?> { ["path"] = ex.Path };
            if (ex.LineNumber is { } line)
            {
                extensions["line"] = line;
            }

            return Problem(StatusCodes.Status400BadRequest, "Invalid journey document", ex.Message, extensions);
        }
        catch (Journeys.Audiences.CustomerFieldInUseException ex)
        {
            var usages = ex.Usages.Select(u => new Dictionary<string, object?> { ["journeyId"] = u.JourneyId, ["version"] = u.Version, ["nodeId"] = u.NodeId, ["message"] = u.Message }).ToList();
            return Problem(StatusCodes.Status409Conflict, "Customer field in use", ex.Message, new Dictionary<string, object?> { ["field"] = ex.Field, ["usages"] = usages });
        }
        catch (Journeys.Audiences.CustomerInputException ex)
        {
            var problems = ex.Problems.Select(p => new Dictionary<string, object?>
            {
                ["index"] = p.Index,
                // Cut as the message cuts it: a refused id may have thousands of characters (the index and path name the customer).
                ["customerId"] = Journeys.Model.IdText.Shorten(p.CustomerId),
                ["field"] = p.Field,
                ["path"] = p.Field is null ? $"$.customers[{p.Index}]" : $"$.customers[{p.Index}].fields.{p.Field}",
                ["message"] = p.Message,
            }).ToList();
            return Problem(StatusCodes.Status400BadRequest, "Invalid customers", ex.Message, new Dictionary<string, object?> { ["problemCount"] = ex.Problems.Count, ["problems"] = problems });
        }
        catch (Journeys.Audiences.CsvImportException ex)
        {
            var problems = ex.Problems.Select(p => new Dictionary<string, object?> { ["line"] = p.Line, ["column"] = p.Column, ["message"] = p.Message }).ToList();
            return Problem(
                StatusCodes.Status400BadRequest,
                "Invalid CSV file",
                ex.Message,
                new Dictionary<string, object?> { ["problemCount"] = ex.ProblemCount, ["rowsRead"] = ex.RowsRead, ["problems"] = problems });
        }
        catch (KeyNotFoundException ex)
        {
            return Problem(StatusCodes.Status404NotFound, "Not found", ex.Message);
        }
        catch (JourneyEditException ex)
        {
            var extensions = new Dictionary<string, object?> { ["journeyId"] = ex.JourneyId };
            if (ex.NodeId is not null)
            {
                extensions["nodeId"] = ex.NodeId;
            }

            if (ex.IsInvalidInput)
            {
                // The state document's id: a bad request whatever the journey's state.
                extensions["path"] = "$.id";
                return Problem(StatusCodes.Status400BadRequest, "Invalid state", ex.Message, extensions);
            }

            return Problem(StatusCodes.Status409Conflict, "Journey not editable", ex.Message, extensions);
        }
        catch (Runtime.JourneyLifecycleException ex)
        {
            return Problem(
                StatusCodes.Status409Conflict,
                "Journey lifecycle conflict",
                ex.Message,
                new Dictionary<string, object?> { ["journeyId"] = ex.JourneyId, ["reason"] = ReasonName(ex.Reason) });
        }
        catch (JourneyValidationException ex)
        {
            return Problem(
                StatusCodes.Status422UnprocessableEntity,
                "Invalid journey",
                $"Journey '{ex.JourneyId}' does not validate: {ex.Result.ErrorCount} error(s), {ex.Result.WarningCount} warning(s); see 'diagnostics'.",
                new Dictionary<string, object?> { ["journeyId"] = ex.JourneyId, ["diagnostics"] = ApiMapping.Diagnostics(ex.Diagnostics) });
        }
        catch (JourneyStateExportException ex)
        {
            return Problem(StatusCodes.Status406NotAcceptable, "Not expressible as a state document", ex.Message, new Dictionary<string, object?> { ["nodeId"] = ex.NodeId });
        }
        catch (JourneyConcurrencyException ex) when (context.HttpContext.Request.Headers.IfMatch.Count > 0)
        {
            return Problem(StatusCodes.Status412PreconditionFailed, "Precondition failed", ex.Message);
        }
        catch (JourneyConcurrencyException ex)
        {
            return Problem(StatusCodes.Status409Conflict, "Conflict", ex.Message);
        }
    }

    /// <summary>The reason's name as the problem's <c>reason</c> extension: camel case, like the API's other names.</summary>
    private static string ReasonName(Runtime.JourneyLifecycleRefusal reason) => reason switch
    {
        Runtime.JourneyLifecycleRefusal.Archived => "archived",
        Runtime.JourneyLifecycleRefusal.EntryWindowEnded => "entryWindowEnded",
        Runtime.JourneyLifecycleRefusal.NotActive => "notActive",
        Runtime.JourneyLifecycleRefusal.StoppedDuringEntry => "stoppedDuringEntry",
        Runtime.JourneyLifecycleRefusal.ListClosed => "listClosed",
        _ => reason.ToString(),
    };

    private static ProblemHttpResult Problem(int status, string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);
}
