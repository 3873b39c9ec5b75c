namespace Journeys.Tests.Model;

public sealed class FieldValueTests
{
    [Fact]
    public void Values_of_each_type_round_trip_and_compare_by_value()
    {
        var when = new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.FromHours(2));
        Assert.Equal("ana", FieldValue.FromString("ana").AsString());
        Assert.Equal(31.5, FieldValue.FromNumber(31.5).AsNumber());
        Assert.True(FieldValue.FromBoolean(true).AsBoolean());
        Assert.Equal(when, FieldValue.FromDateTime(when).AsDateTime());
        Assert.Equal(TimeSpan.Zero, FieldValue.FromDateTime(when).AsDateTime().Offset);
        Assert.Equal(FieldValue.FromStringList(["a", "b"]), FieldValue.FromStringList(["a", "b"]));
        Assert.NotEqual(FieldValue.FromStringList(["a", "b"]), FieldValue.FromStringList(["b", "a"]));
        Assert.Equal(FieldValue.FromNumber(0), FieldValue.FromNumber(-0d));
        Assert.NotEqual(FieldValue.FromString("1"), FieldValue.FromNumber(1));
        Assert.True(FieldValue.FromString(null).IsNull);
    }

    [Fact]
    public void Reading_the_wrong_type_says_what_it_is()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => FieldValue.FromNumber(3).AsString());
        Assert.Contains("Number", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => FieldValue.FromNumber(double.NaN));
    }
}
