using Journeys.Model;

namespace Journeys.Validation;

internal sealed partial class ValidationRun
{
    private const int MaxConditionDepth = 64;

    /// <summary>Checks a condition on customer fields against the schema.</summary>
    private void CheckCustomerCondition(Condition? condition, string? nodeId, string path, string subject) =>
        CheckCondition(condition, new ConditionSite(nodeId, subject, OnCustomer: true), path, 0);

    /// <summary>Checks a condition on event properties: they have no schema, so only its structure and operand types.</summary>
    private void CheckEventCondition(Condition? condition, string? nodeId, string path, string subject) =>
        CheckCondition(condition, new ConditionSite(nodeId, subject, OnCustomer: false), path, 0);

    private void CheckCondition(Condition? condition, ConditionSite site, string path, int depth)
    {
        if (depth > MaxConditionDepth)
        {
            Error(DiagnosticCodes.ConditionTooDeep, site.NodeId, path, $"{site.Subject}: the condition nests more than {Number(MaxConditionDepth)} levels of all/any/not; simplify it.");
            return;
        }

        switch (condition)
        {
            case null:
                Error(DiagnosticCodes.MissingCondition, site.NodeId, path, $"{site.Subject}: a condition is missing (null).");
                break;
            case AllCondition all:
                CheckGroup(all.Conditions, site, path, depth);
                break;
            case AnyCondition any:
                CheckGroup(any.Conditions, site, path, depth);
                break;
            case NotCondition not:
                CheckCondition(not.Condition, site, $"{path}.condition", depth + 1);
                break;
            case FieldCondition field:
                CheckFieldCondition(field, site, path);
                break;
            case InCondition inCondition:
                CheckInCondition(inCondition, site, path);
                break;
            case DateCondition date:
                CheckDateCondition(date, site, path);
                break;
        }
    }

    private void CheckGroup(EquatableArray<Condition> conditions, ConditionSite site, string path, int depth)
    {
        for (var k = 0; k < conditions.Count; k++)
        {
            CheckCondition(conditions[k], site, $"{path}.conditions[{Number(k)}]", depth + 1);
        }
    }

    private void CheckFieldCondition(FieldCondition condition, ConditionSite site, string path)
    {
        var op = condition.Operator;
        if (!Enum.IsDefined(op))
        {
            Error(DiagnosticCodes.InvalidOperator, site.NodeId, $"{path}.operator", $"{site.Subject}: the condition on '{condition.Field}' uses an unknown operator ({Number((int)op)}).");
            return;
        }

        var name = OperatorName(op);
        var what = site.OnCustomer ? "customer field" : "event property";
        if (!site.OnCustomer && string.IsNullOrWhiteSpace(condition.Field))
        {
            Error(DiagnosticCodes.MissingFieldName, site.NodeId, $"{path}.field", $"{site.Subject}: the '{name}' condition names no event property.");
            return;
        }

        var field = site.OnCustomer ? ResolveField(condition.Field, site.NodeId, $"{path}.field", site.Subject, $"'{name}' condition") : null;
        if (op is ComparisonOperator.IsNull or ComparisonOperator.IsNotNull)
        {
            return;
        }

        var value = condition.Value;
        if (value.IsNull)
        {
            Error(DiagnosticCodes.MissingOperand, site.NodeId, $"{path}.value", $"{site.Subject}: the condition '{condition.Field} {name}' has no value to compare with; to test for a missing value use isnull or isnotnull.");
            return;
        }

        if (site.OnCustomer)
        {
            if (field is null || !Enum.IsDefined(field.Type))
            {
                return;
            }

            if (!IsAllowed(op, field.Type))
            {
                Error(DiagnosticCodes.InvalidOperator, site.NodeId, $"{path}.operator", $"{site.Subject}: '{name}' cannot be used on the {field.Type} field '{field.Name}'; {AllowedOperators(field.Type)}.");
                return;
            }

            var expected = OperandType(field.Type);
            if (value.Type != expected)
            {
                Error(DiagnosticCodes.TypeMismatch, site.NodeId, $"{path}.value", $"{site.Subject}: the condition compares the {field.Type} field '{field.Name}' with the {value.Type} value '{value}'; give a {expected} value.");
            }

            return;
        }

        // An event property has no declared type: the operand's type must suit the operator. A string list operand
        // suits none: a property is compared with one value (a list property equals a string it holds), so eq with a
        // list would never hold and neq always would.
        var operandType = value.Type!.Value;
        if (!IsAllowed(op, operandType) || operandType == FieldType.StringList || (op is ComparisonOperator.Contains && operandType != FieldType.String))
        {
            Error(DiagnosticCodes.InvalidOperator, site.NodeId, $"{path}.operator", $"{site.Subject}: '{name}' cannot compare the {what} '{condition.Field}' with the {operandType} value '{value}'.");
        }
    }

    private void CheckInCondition(InCondition condition, ConditionSite site, string path)
    {
        FieldDefinition? field = null;
        if (site.OnCustomer)
        {
            field = ResolveField(condition.Field, site.NodeId, $"{path}.field", site.Subject, "'in' condition");
        }
        else if (string.IsNullOrWhiteSpace(condition.Field))
        {
            Error(DiagnosticCodes.MissingFieldName, site.NodeId, $"{path}.field", $"{site.Subject}: the 'in' condition names no event property.");
        }

        var values = condition.Values;
        if (values.IsEmpty)
        {
            Error(DiagnosticCodes.EmptyInList, site.NodeId, $"{path}.values", $"{site.Subject}: the 'in' condition on '{condition.Field}' has no values, so it never matches.");
            return;
        }

        FieldType? expected = field is not null && Enum.IsDefined(field.Type) ? OperandType(field.Type) : null;
        for (var k = 0; k < values.Count; k++)
        {
            var value = values[k];
            var valuePath = $"{path}.values[{Number(k)}]";
            if (value.IsNull)
            {
                Error(DiagnosticCodes.MissingOperand, site.NodeId, valuePath, $"{site.Subject}: value {Number(k + 1)} of the 'in' condition on '{condition.Field}' is null; to test for a missing value use isnull.");
            }
            else if (site.OnCustomer && expected is not null && value.Type != expected)
            {
                Error(DiagnosticCodes.TypeMismatch, site.NodeId, valuePath, $"{site.Subject}: the 'in' condition on the {field!.Type} field '{field.Name}' lists the {value.Type} value '{value}'; give {expected} values.");
            }
            else if (!site.OnCustomer && value.Type == FieldType.StringList)
            {
                // As for eq: a property equals one value, never a list, so this item could never match.
                Error(DiagnosticCodes.TypeMismatch, site.NodeId, valuePath, $"{site.Subject}: the 'in' condition on the event property '{condition.Field}' lists the StringList value '{value}'; list single values (strings, numbers, booleans or date-times).");
            }
            else if (!site.OnCustomer && expected is null)
            {
                // Event properties: the first value sets the type the others must share.
                expected = value.Type;
            }
            else if (!site.OnCustomer && value.Type != expected)
            {
                Error(DiagnosticCodes.TypeMismatch, site.NodeId, valuePath, $"{site.Subject}: the 'in' condition on the event property '{condition.Field}' mixes {expected} and {value.Type} values; use one type.");
            }
        }
    }

    private void CheckDateCondition(DateCondition condition, ConditionSite site, string path)
    {
        var op = condition.Operator;
        if (!Enum.IsDefined(op) || op is ComparisonOperator.Contains or ComparisonOperator.StartsWith)
        {
            var shown = Enum.IsDefined(op) ? OperatorName(op) : Number((int)op);
            Error(DiagnosticCodes.InvalidOperator, site.NodeId, $"{path}.operator", $"{site.Subject}: the date condition on '{condition.Field}' uses '{shown}'; date conditions use eq, neq, lt, gt, lte, gte, isnull or isnotnull.");
        }

        if (!Enum.IsDefined(condition.Part))
        {
            Error(DiagnosticCodes.InvalidEnumValue, site.NodeId, $"{path}.part", $"{site.Subject}: the date condition on '{condition.Field}' compares an unknown part of the date ({Number((int)condition.Part)}).");
        }

        if (!site.OnCustomer)
        {
            if (string.IsNullOrWhiteSpace(condition.Field))
            {
                Error(DiagnosticCodes.MissingFieldName, site.NodeId, $"{path}.field", $"{site.Subject}: the date condition names no event property.");
            }

            return;
        }

        var field = ResolveField(condition.Field, site.NodeId, $"{path}.field", site.Subject, "date condition");
        if (field is not null && field.Type != FieldType.DateTime)
        {
            Error(DiagnosticCodes.TypeMismatch, site.NodeId, $"{path}.field", $"{site.Subject}: the date condition uses '{field.Name}', which is a {field.Type} field; date conditions need a DateTime field.");
        }
    }

    private static bool IsAllowed(ComparisonOperator op, FieldType type) => op switch
    {
        ComparisonOperator.Eq or ComparisonOperator.Neq or ComparisonOperator.IsNull or ComparisonOperator.IsNotNull => true,
        ComparisonOperator.Lt or ComparisonOperator.Gt or ComparisonOperator.Lte or ComparisonOperator.Gte =>
            type is FieldType.String or FieldType.Number or FieldType.DateTime,
        ComparisonOperator.Contains => type is FieldType.String or FieldType.StringList,
        ComparisonOperator.StartsWith => type is FieldType.String,
        _ => false,
    };

    private static string AllowedOperators(FieldType type) => type switch
    {
        FieldType.Boolean => "a Boolean field can use eq, neq, isnull, isnotnull and in",
        FieldType.Number or FieldType.DateTime => $"a {type} field can use eq, neq, lt, gt, lte, gte, isnull, isnotnull and in",
        FieldType.StringList => "a StringList field can use eq, neq, contains, isnull, isnotnull and in",
        _ => "a String field can use every operator",
    };

    /// <summary>The type of the operand a field of this type is compared with: a string list is compared with one of its items.</summary>
    private static FieldType OperandType(FieldType fieldType) => fieldType == FieldType.StringList ? FieldType.String : fieldType;

    private static string OperatorName(ComparisonOperator op) => op switch
    {
        ComparisonOperator.Eq => "eq",
        ComparisonOperator.Neq => "neq",
        ComparisonOperator.Lt => "lt",
        ComparisonOperator.Gt => "gt",
        ComparisonOperator.Lte => "lte",
        ComparisonOperator.Gte => "gte",
        ComparisonOperator.IsNull => "isnull",
        ComparisonOperator.IsNotNull => "isnotnull",
        ComparisonOperator.Contains => "contains",
        ComparisonOperator.StartsWith => "startswith",
        _ => "?",
    };

    /// <summary>Where a condition is and what its field names refer to.</summary>
    private readonly record struct ConditionSite(string? NodeId, string Subject, bool OnCustomer);
}
