using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Journeys.Building;

namespace Journeys.Tests.Properties;

/// <summary>
/// A generated builder "program": a tree of steps that is replayed on a <see cref="JourneyBuilder"/>. Everything it
/// uses is consistent with <see cref="Schema"/>, and <see cref="Replay"/> returns a catalog with exactly the
/// campaigns (channel, template variables) the journey sends, so the journey it builds should validate clean.
/// </summary>
public sealed record BuilderProgram(string JourneyId, int EntryKind, ImmutableArray<PathStep> Steps, ImmutableArray<string> Goals, int ReEntry)
{
    public static CustomerFieldSchema Schema { get; } = CustomerFieldSchema.Create(
        new FieldDefinition("firstName", FieldType.String),
        new FieldDefinition("email", FieldType.String),
        new FieldDefinition("vip", FieldType.Boolean, false),
        new FieldDefinition("age", FieldType.Number),
        new FieldDefinition("birthDate", FieldType.DateTime),
        new FieldDefinition("tags", FieldType.StringList));

    public override string ToString() =>
        $"{JourneyId} entry={EntryKind} reEntry={ReEntry} goals=[{string.Join(",", Goals)}] steps=[{string.Join("; ", Steps)}]";

    public (JourneyDefinition Journey, CampaignCatalog Campaigns) Replay()
    {
        var campaigns = new List<Campaign>();
        var sendIds = new List<string>();
        var builder = JourneyBuilder.Create(JourneyId, "Generated " + JourneyId);
        builder = EntryKind switch
        {
            0 => builder.EnterAllCustomers(),
            1 => builder.EnterFromList(["a@example.com", "b@example.com"]),
            2 => builder.EnterWhen(Condition.Gte("age", 18)),
            _ => builder.EnterOnEvent("signed_up", Condition.Eq("source", "web")),
        };
        builder = ReEntry switch
        {
            0 => builder.NeverReEnter(),
            1 => builder.ReEnterAfterExit(),
            _ => builder.ReEnterAfterCooldown(TimeSpan.FromDays(ReEntry)),
        };
        foreach (var goal in Goals)
        {
            builder.ConvertOn(goal);
        }

        builder.Steps(p =>
        {
            ApplyAll(p, Steps, campaigns, sendIds);
            if (p.OpenEnds.Count > 0)
            {
                p.Exit("end");
            }
        });
        return (builder.Build(), CampaignCatalog.Create(campaigns));
    }

    internal static void ApplyAll(PathBuilder path, ImmutableArray<PathStep> steps, List<Campaign> campaigns, List<string> sendIds)
    {
        foreach (var step in steps)
        {
            if (path.OpenEnds.Count == 0)
            {
                return;
            }

            step.Apply(path, campaigns, sendIds);
        }
    }
}

/// <summary>One generated step.</summary>
public abstract record PathStep
{
    public abstract void Apply(PathBuilder path, List<Campaign> campaigns, List<string> sendIds);

    protected static Action<PathBuilder>? Sub(ImmutableArray<PathStep>? steps, List<Campaign> campaigns, List<string> sendIds) =>
        steps is { } s ? p => BuilderProgram.ApplyAll(p, s, campaigns, sendIds) : null;

    protected static string Describe(ImmutableArray<PathStep>? steps) => steps is { } s ? "[" + string.Join("; ", s) + "]" : "open";

    /// <summary>Registers a campaign for a send and returns its variable bindings.</summary>
    protected static Action<VariableBindingsBuilder> Campaign(Channel channel, int variables, List<Campaign> campaigns, out string campaignId)
    {
        campaignId = $"c{campaigns.Count + 1}";
        var template = "Hello" + string.Concat(Enumerable.Range(0, variables).Select(i => $" {{{{v{i}}}}}"));
        campaigns.Add(new Campaign(campaignId, channel, template));
        return v =>
        {
            for (var i = 0; i < variables; i++)
            {
                v.Bind($"v{i}", i % 2 == 0 ? "firstName" : "email", i == 0 ? null : "x");
            }
        };
    }
}

public sealed record SendStep(Channel Channel, int Variables) : PathStep
{
    public override void Apply(PathBuilder path, List<Campaign> campaigns, List<string> sendIds)
    {
        var bindings = Campaign(Channel, Variables, campaigns, out var campaignId);
        path.Send(Channel, campaignId, bindings, id: $"send-{campaignId}");
        sendIds.Add($"send-{campaignId}");
    }
}

public sealed record DelayStep(int Kind, int Amount) : PathStep
{
    public override void Apply(PathBuilder path, List<Campaign> campaigns, List<string> sendIds) => _ = Kind switch
    {
        0 => path.Delay(TimeSpan.FromMinutes(Amount)),
        1 => path.DelayUntil(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(Amount)),
        2 => path.DelayUntilTimeOfDay(new TimeOnly(Amount % 24, 0)),
        _ => path.DelayUntilField("birthDate", TimeSpan.FromDays(-Amount)),
    };
}

public sealed record UpdateStep(int Kind) : PathStep
{
    public override void Apply(PathBuilder path, List<Campaign> campaigns, List<string> sendIds) => _ = Kind switch
    {
        0 => path.UpdateCustomer("vip", true),
        1 => path.UpdateCustomer("age", 42.5),
        2 => path.UpdateCustomer("tags", FieldValue.FromStringList(["a", "b"])),
        3 => path.UpdateCustomer("birthDate", new DateTimeOffset(1990, 5, 17, 0, 0, 0, TimeSpan.Zero)),
        _ => path.UpdateCustomer("email", FieldValue.Null),
    };
}

public sealed record ExitStep(string Reason) : PathStep
{
    public override void Apply(PathBuilder path, List<Campaign> campaigns, List<string> sendIds) => path.Exit(Reason);
}

public sealed record FilterStep(ImmutableArray<(Condition Condition, ImmutableArray<PathStep>? Then)> Branches, ImmutableArray<PathStep>? Otherwise) : PathStep
{
    public override void Apply(PathBuilder path, List<Campaign> campaigns, List<string> sendIds) => path.Filter(f =>
    {
        foreach (var (condition, then) in Branches)
        {
            f.When(condition, Sub(then, campaigns, sendIds));
        }

        if (Sub(Otherwise, campaigns, sendIds) is { } otherwise)
        {
            f.Otherwise(otherwise);
        }
    });

    public override string ToString() =>
        $"Filter({string.Join(", ", Branches.Select(b => $"{b.Condition} -> {Describe(b.Then)}"))}, else {Describe(Otherwise)})";
}

public sealed record WaitStep(bool Correlate, ImmutableArray<PathStep>? OnEvent, ImmutableArray<PathStep>? OnTimeout) : PathStep
{
    public override void Apply(PathBuilder path, List<Campaign> campaigns, List<string> sendIds) =>
        path.WaitForEvent("click", TimeSpan.FromHours(6), w =>
        {
            if (Correlate && sendIds.Count > 0)
            {
                w.CorrelatedTo(sendIds[^1]);
            }

            if (Sub(OnEvent, campaigns, sendIds) is { } onEvent)
            {
                w.OnEvent(onEvent);
            }

            if (Sub(OnTimeout, campaigns, sendIds) is { } onTimeout)
            {
                w.OnTimeout(onTimeout);
            }
        });

    public override string ToString() => $"Wait(correlate={Correlate}, event {Describe(OnEvent)}, timeout {Describe(OnTimeout)})";
}

public sealed record SplitStep(ImmutableArray<(int Weight, ImmutableArray<PathStep>? Path)> Paths) : PathStep
{
    public override void Apply(PathBuilder path, List<Campaign> campaigns, List<string> sendIds) => path.RandomSplit(s =>
    {
        foreach (var (weight, sub) in Paths)
        {
            s.Path(weight, Sub(sub, campaigns, sendIds));
        }
    });

    public override string ToString() => $"Split({string.Join(", ", Paths.Select(p => $"{p.Weight}: {Describe(p.Path)}"))})";
}

public sealed record RetargetingStep(int Reminders, ImmutableArray<PathStep>? OnConverted, ImmutableArray<PathStep>? OnExhausted) : PathStep
{
    public override void Apply(PathBuilder path, List<Campaign> campaigns, List<string> sendIds) =>
        path.Retargeting("purchase", TimeSpan.FromDays(3), r =>
        {
            for (var i = 1; i <= Reminders; i++)
            {
                var bindings = Campaign(Channel.Push, i % 2, campaigns, out var campaignId);
                r.Remind(TimeSpan.FromHours(12 * i), Channel.Push, campaignId, bindings);
            }

            if (Sub(OnConverted, campaigns, sendIds) is { } converted)
            {
                r.OnConverted(converted);
            }

            if (Sub(OnExhausted, campaigns, sendIds) is { } exhausted)
            {
                r.OnExhausted(exhausted);
            }
        });

    public override string ToString() => $"Retargeting({Reminders}, converted {Describe(OnConverted)}, exhausted {Describe(OnExhausted)})";
}

public sealed record WebhookStep(int Retries, ImmutableArray<PathStep>? OnSuccess, ImmutableArray<PathStep>? OnFailure) : PathStep
{
    public override void Apply(PathBuilder path, List<Campaign> campaigns, List<string> sendIds) =>
        path.Webhook("https://hooks.example.com/journeys", h =>
        {
            h.Fields("email", "vip").Retries(Retries).Timeout(TimeSpan.FromSeconds(5));
            if (Sub(OnSuccess, campaigns, sendIds) is { } success)
            {
                h.OnSuccess(success);
            }

            if (Sub(OnFailure, campaigns, sendIds) is { } failure)
            {
                h.OnFailure(failure);
            }
        });

    public override string ToString() => $"Webhook({Retries}, success {Describe(OnSuccess)}, failure {Describe(OnFailure)})";
}

/// <summary>FsCheck generators of builder programs and of valid conditions over <see cref="BuilderProgram.Schema"/>.</summary>
public static class BuilderProgramGenerators
{
    public static Arbitrary<BuilderProgram> Programs() => Program().ToArbitrary();

    public static Gen<BuilderProgram> Program() =>
        from id in Gen.Elements("j1", "journey-2", "cart.v3", "welcome:email")
        from entry in Gen.Choose(0, 3)
        from steps in Gen.Sized(size => StepList(Math.Min(3, 1 + (size / 25))))
        from goals in Gen.SubListOf("purchase", "unsubscribe")
        from reEntry in Gen.Choose(0, 7)
        select new BuilderProgram(id, entry, steps, [.. goals], reEntry);

    private static Gen<ImmutableArray<PathStep>> StepList(int depth) =>
        from count in Gen.Choose(1, 4)
        from steps in StepGen(depth).ArrayOf(count)
        select ImmutableArray.Create(steps);

    private static Gen<ImmutableArray<PathStep>?> OptionalPath(int depth) =>
        Gen.Frequency(
        [
            (1, Gen.Constant<ImmutableArray<PathStep>?>(null)),
            (2, StepList(depth).Select(s => (ImmutableArray<PathStep>?)s)),
        ]);

    private static Gen<PathStep> StepGen(int depth)
    {
        var leaves = new List<(int, Gen<PathStep>)>
        {
            (4, from channel in Gen.Elements(Channel.Push, Channel.Email, Channel.Sms, Channel.WhatsApp, Channel.InApp, Channel.Telegram, new Channel("carrier-pigeon"))
                from variables in Gen.Choose(0, 2)
                select (PathStep)new SendStep(channel, variables)),
            (3, from kind in Gen.Choose(0, 3) from amount in Gen.Choose(1, 500) select (PathStep)new DelayStep(kind, amount)),
            (2, Gen.Choose(0, 4).Select(k => (PathStep)new UpdateStep(k))),
            (1, Gen.Elements("done", "not-interested").Select(r => (PathStep)new ExitStep(r))),
        };
        if (depth <= 0)
        {
            return Gen.Frequency([.. leaves]);
        }

        var inner = depth - 1;
        leaves.Add((2,
            from count in Gen.Choose(1, 3)
            from branches in Gen.Zip(ValidCondition(2), OptionalPath(inner)).ArrayOf(count)
            from otherwise in OptionalPath(inner)
            select (PathStep)new FilterStep([.. branches], otherwise)));
        leaves.Add((2,
            from correlate in Gen.Elements(true, false)
            from onEvent in OptionalPath(inner)
            from onTimeout in OptionalPath(inner)
            select (PathStep)new WaitStep(correlate, onEvent, onTimeout)));
        leaves.Add((2,
            from count in Gen.Choose(2, 3)
            from paths in Gen.Zip(Gen.Choose(1, 100), OptionalPath(inner)).ArrayOf(count)
            select (PathStep)new SplitStep([.. paths])));
        leaves.Add((1,
            from reminders in Gen.Choose(0, 2)
            from converted in OptionalPath(inner)
            from exhausted in OptionalPath(inner)
            select (PathStep)new RetargetingStep(reminders, converted, exhausted)));
        leaves.Add((1,
            from retries in Gen.Choose(0, 5)
            from success in OptionalPath(inner)
            from failure in OptionalPath(inner)
            select (PathStep)new WebhookStep(retries, success, failure)));
        return Gen.Frequency([.. leaves]);
    }

    /// <summary>Conditions that are well-typed against <see cref="BuilderProgram.Schema"/>.</summary>
    public static Gen<Condition> ValidCondition(int depth)
    {
        var birth = new DateTimeOffset(1990, 5, 17, 0, 0, 0, TimeSpan.Zero);
        var leaf = Gen.OneOf(
            Gen.Elements<Condition>(
                Condition.Eq("vip", true),
                Condition.Neq("vip", false),
                Condition.IsNull("email"),
                Condition.IsNotNull("birthDate"),
                Condition.Contains("email", "@example"),
                Condition.StartsWith("firstName", "A"),
                Condition.Contains("tags", "gold"),
                Condition.Eq("tags", "silver"),
                Condition.In("firstName", "Ana", "Luis"),
                Condition.Anniversary("birthDate"),
                Condition.Date("birthDate", ComparisonOperator.Lt, TimeSpan.FromDays(-365 * 18), DatePart.Instant),
                Condition.Gt("birthDate", birth)),
            from op in Gen.Elements(ComparisonOperator.Eq, ComparisonOperator.Neq, ComparisonOperator.Lt, ComparisonOperator.Gt, ComparisonOperator.Lte, ComparisonOperator.Gte)
            from n in Gen.Choose(-100, 100)
            select (Condition)new FieldCondition("age", op, n));
        if (depth <= 0)
        {
            return leaf;
        }

        var inner = ValidCondition(depth - 1);
        return Gen.Frequency(
            (4, leaf),
            (1, inner.ArrayOf(2).Select(c => (Condition)new AllCondition(c))),
            (1, inner.ArrayOf(2).Select(c => (Condition)new AnyCondition(c))),
            (1, inner.Select(c => (Condition)new NotCondition(c))));
    }
}
