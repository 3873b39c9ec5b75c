using Journeys.Runtime;

namespace Journeys.Tests.Runtime;

public sealed class EnrollmentIdsTests
{
    [Fact]
    public void Ids_are_version_7_with_the_rfc_variant_and_the_timestamp_laid_out_as_the_runtime_lays_it_out()
    {
        var at = new DateTimeOffset(2026, 11, 29, 19, 55, 12, 345, TimeSpan.FromHours(2));

        var id = EnrollmentIds.NewVersion7(at);
        var reference = Guid.CreateVersion7(at);

        Assert.Equal(7, id.Version);
        // Guid.Variant is the top nibble of byte 8; RFC 9562's variant is its top two bits, 10 (the other two are random).
        Assert.Equal(0x8, reference.Variant & 0xC);
        Assert.Equal(0x8, id.Variant & 0xC);
        var bytes = id.ToByteArray(bigEndian: true);
        Assert.Equal(reference.ToByteArray(bigEndian: true)[..6], bytes[..6]);
        var milliseconds = 0L;
        for (var i = 0; i < 6; i++)
        {
            milliseconds = (milliseconds << 8) | bytes[i];
        }

        Assert.Equal(at.ToUnixTimeMilliseconds(), milliseconds);
    }

    [Fact]
    public void Ids_do_not_repeat_across_many_random_blocks_and_threads_and_sort_by_their_timestamp()
    {
        // 256 ids per fetched block: 5,000 per thread cross ~20 block boundaries on each of 4 threads.
        var start = new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);
        var perThread = new Guid[4][];
        Parallel.For(0, perThread.Length, t =>
        {
            var ids = new Guid[5_000];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = EnrollmentIds.NewVersion7(start);
            }

            perThread[t] = ids;
        });

        var all = perThread.SelectMany(ids => ids).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());
        Assert.All(all, id => Assert.Equal(7, id.Version));
        Assert.All(all, id => Assert.Equal(0x8, id.Variant & 0xC));

        // The random part is not constant: its bytes take many values (a buffer handed out twice, or left zero, would not).
        Assert.True(all.Select(id => id.ToByteArray(bigEndian: true)[15]).Distinct().Count() > 200);

        var later = EnrollmentIds.NewVersion7(start.AddMilliseconds(1));
        Assert.All(all, id => Assert.True(string.CompareOrdinal(id.ToString("N"), later.ToString("N")) < 0));
    }

    [Fact]
    public void A_time_before_the_unix_epoch_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => EnrollmentIds.NewVersion7(DateTimeOffset.UnixEpoch.AddMilliseconds(-1)));
        Assert.Equal("timestamp", error.ParamName);
    }
}
