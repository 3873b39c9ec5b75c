using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("Journeys.Storage.Tests.PostgreSql.SkippingTestFramework", "Journeys.Storage.Tests")]

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// xUnit 2 has no run-time skip, and the contract suite's tests are plain <c>[Fact]</c>s declared in the base class. This
/// framework runs every test as usual, except that the tests of a class marked <see cref="RequiresPostgreSqlAttribute"/>
/// are reported as Skipped with <see cref="PostgreSqlTestServer.SkipReason"/> when there is no server (and never under
/// <c>CI=true</c>, where they run and fail).
/// </summary>
public sealed class SkippingTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        protected override void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            if (PostgreSqlTestServer.SkipReason is { } reason)
            {
                testCases = testCases.Select(testCase => NeedsServer(testCase) && testCase is not XunitTheoryTestCase
                    ? new SkippedTestCase(DiagnosticMessageSink, testCase, reason)
                    : testCase).ToList();
            }

            base.RunTestCases(testCases, executionMessageSink, executionOptions);
        }

        private static bool NeedsServer(IXunitTestCase testCase) =>
            testCase.TestMethod.TestClass.Class.ToRuntimeType()?.GetCustomAttribute<RequiresPostgreSqlAttribute>(inherit: true) is not null;
    }

    private sealed class SkippedTestCase : XunitTestCase
    {
        private readonly string _reason;

        [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
        public SkippedTestCase()
        {
            _reason = string.Empty;
        }

        public SkippedTestCase(IMessageSink diagnosticMessageSink, IXunitTestCase original, string reason)
            : base(diagnosticMessageSink, TestMethodDisplay.ClassAndMethod, TestMethodDisplayOptions.None, original.TestMethod, original.TestMethodArguments)
        {
            _reason = reason;
        }

        protected override string GetSkipReason(IAttributeInfo factAttribute) => _reason;
    }
}
