using Journeys.Model;

namespace Journeys.Serialization.Converters;

/// <summary>Reads and writes <see cref="ReEntryMode"/> as <c>never</c>, <c>afterExit</c>, <c>afterCooldown</c>.</summary>
internal sealed class ReEntryModeConverter() : EnumNameConverter<ReEntryMode>(
        "re-entry mode",
        (ReEntryMode.Never, "never"),
        (ReEntryMode.AfterExit, "afterExit"),
        (ReEntryMode.AfterCooldown, "afterCooldown"));
