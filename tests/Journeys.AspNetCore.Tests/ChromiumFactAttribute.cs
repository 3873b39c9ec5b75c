namespace Journeys.AspNetCore.Tests;

/// <summary>A fact that needs headless chromium: reported as Skipped with <see cref="Chromium.SkipReason"/> when there is none outside CI.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when chromium is missing and <c>CI</c> is not <c>true</c>.</summary>
    public ChromiumFactAttribute()
    {
        if (Chromium.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
