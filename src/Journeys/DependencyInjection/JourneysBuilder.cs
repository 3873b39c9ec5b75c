namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The <see cref="IJourneysBuilder"/> returned by <c>AddJourneys</c>.</summary>
internal sealed class JourneysBuilder(IServiceCollection services) : IJourneysBuilder
{
    public IServiceCollection Services { get; } = services;
}
