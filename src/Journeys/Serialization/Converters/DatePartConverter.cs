using Journeys.Model;

namespace Journeys.Serialization.Converters;

/// <summary>Reads and writes <see cref="DatePart"/> as <c>instant</c>, <c>date</c>, <c>dayAndMonth</c>, <c>month</c>, <c>year</c>.</summary>
internal sealed class DatePartConverter() : EnumNameConverter<DatePart>(
        "date part",
        (DatePart.Instant, "instant"),
        (DatePart.Date, "date"),
        (DatePart.DayAndMonth, "dayAndMonth"),
        (DatePart.Month, "month"),
        (DatePart.Year, "year"));
