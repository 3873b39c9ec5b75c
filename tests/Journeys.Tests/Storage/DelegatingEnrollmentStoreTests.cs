using System.Reflection;
using Journeys.Storage;

namespace Journeys.Tests.Storage;

public sealed class DelegatingEnrollmentStoreTests
{
    public static TheoryData<string> InterfaceMethods()
    {
        var data = new TheoryData<string>();
        foreach (var method in typeof(IEnrollmentStore).GetMethods())
        {
            data.Add(method.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(InterfaceMethods))]
    public void Every_call_reaches_the_inner_store_with_the_same_arguments_and_its_result_comes_back(string name)
    {
        var method = typeof(IEnrollmentStore).GetMethod(name)!;
        var inner = DispatchProxy.Create<IEnrollmentStore, RecordingProxy>();
        var proxy = (RecordingProxy)(object)inner;
        var store = new PassThrough(inner);
        using var cancellation = new CancellationTokenSource();
        var arguments = method.GetParameters().Select(p => SampleArgument(p.ParameterType, cancellation.Token)).ToArray();

        var result = method.Invoke(store, arguments);

        var call = Assert.Single(proxy.Calls);
        Assert.Equal(method, call.Method);
        Assert.Equal(arguments, call.Arguments);
        Assert.Equal(proxy.Results[0], result);
    }

    [Fact]
    public void Every_member_can_be_overridden()
    {
        var map = typeof(DelegatingEnrollmentStore).GetInterfaceMap(typeof(IEnrollmentStore));

        Assert.All(map.TargetMethods, m => Assert.True(m.IsVirtual && !m.IsFinal, $"{m.Name} is not overridable"));
    }

    [Fact]
    public void A_missing_inner_store_is_refused()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new PassThrough(null!));

        Assert.Equal("innerStore", error.ParamName);
    }

    private static object? SampleArgument(Type type, CancellationToken token) => type switch
    {
        _ when type == typeof(CancellationToken) => token,
        _ when type == typeof(string) => "owner-or-id",
        _ when type == typeof(DateTimeOffset) => new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero),
        _ when type == typeof(TimeSpan) => TimeSpan.FromSeconds(42),
        _ when type == typeof(int) => 17,
        _ when type == typeof(int?) => (int?)3,
        _ when type == typeof(Guid) => new Guid("0193f1a2-7c4e-7000-8000-00000000abcd"),
        _ when type == typeof(EnrollmentLease) => new EnrollmentLease("owner", new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero), TimeSpan.FromMinutes(5), 7),
        _ when type == typeof(OutboxHandoff) => new OutboxHandoff(new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero), TimeSpan.FromMinutes(5)),
        _ when type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) =>
            Array.CreateInstance(type.GetGenericArguments()[0], 2),
        _ => throw new InvalidOperationException($"No sample for {type}."),
    };

    private sealed class PassThrough(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner);

    /// <summary>Records each call and returns a distinct result per call, so a call forwarded elsewhere shows.</summary>
    public class RecordingProxy : DispatchProxy
    {
        public List<(MethodInfo Method, object?[] Arguments)> Calls { get; } = [];

        public List<object?> Results { get; } = [];

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            Calls.Add((targetMethod!, args ?? []));
            var result = ResultFor(targetMethod!.ReturnType);
            Results.Add(result);
            return result;
        }

        private static object? ResultFor(Type type)
        {
            if (type == typeof(ValueTask))
            {
                return ValueTask.CompletedTask;
            }

            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            {
                var valueType = type.GetGenericArguments()[0];
                object? value = valueType == typeof(int) ? 5
                    : valueType == typeof(DateTimeOffset?) ? new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)
                    : valueType == typeof(LeasedEnrollments) ? new LeasedEnrollments([], [])
                    : valueType == typeof(PublishedEvents) ? new PublishedEvents([], [])
                    : valueType == typeof(Enrollment) ? new Enrollment(Guid.NewGuid(), "journey", 1, "customer", "node", EnrollmentStatus.Active, null, null, 0, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 1)
                    : Array.CreateInstance(valueType.GetGenericArguments()[0], 1);
                return Activator.CreateInstance(type, value);
            }

            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>))
            {
                return Activator.CreateInstance(typeof(EmptyAsync<>).MakeGenericType(type.GetGenericArguments()[0]));
            }

            throw new InvalidOperationException($"No result for {type}.");
        }
    }

    private sealed class EmptyAsync<T> : IAsyncEnumerable<T>
    {
        public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            yield break;
        }
    }
}
