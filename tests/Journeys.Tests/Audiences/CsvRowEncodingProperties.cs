using System.Text;
using FsCheck.Xunit;
using Journeys.Audiences;
using Journeys.Model;
using Journeys.Storage.InMemory;

namespace Journeys.Tests.Audiences;

/// <summary>
/// The import's one-pass read (<see cref="CustomerCsvReader.NextRowAsync"/> + <see cref="CustomerCsvReader.TryEncodeRow(RecordBuffer, out ulong)"/>)
/// against the reader's checks and <see cref="CustomerCsvReader.EncodePatch"/> done separately: the same rows, problems
/// (lines, columns, messages, order), patch bytes and id hashes, for good and bad cells of every type; and the same read
/// writing the in-memory store's record instead of the patch (the import into that store): the same checks and hashes,
/// the record the patch stands for.
/// </summary>
public sealed class CsvRowEncodingProperties
{
    private static readonly CustomerFieldSchema Schema = CustomerFieldSchema.Create(
        new FieldDefinition("name", FieldType.String),
        new FieldDefinition("age", FieldType.Number),
        new FieldDefinition("vip", FieldType.Boolean),
        new FieldDefinition("born", FieldType.DateTime),
        new FieldDefinition("tags", FieldType.StringList));

    /// <summary>Stands for two bytes that are not UTF-8 (0xFF 0xFE), put in after encoding.</summary>
    private const string Invalid = "INVALID";

    /// <summary>Cells good and bad for some column: blanks, quotes, numbers, booleans, dates, accents and emoji, invalid UTF-8, long text.</summary>
    private static readonly string[] Cells =
    [
        "", " ", "\t", "a", " a b ", "\"x, y\"", "\"q\"\"q\"", "é日😀", "42", "-0", "-7", "3.5", " 12 ", "1e3", "NaN", "1,5", "abc",
        "true", "FALSE", "yes", "n", "1", "0", "maybe", "2024-05-01", "2024-02-30", "2024-05-01T10:30:00Z", "2024-05-01T10:30:00+02:00",
        "01/05/2024", "x|y|z", "|", "\"a\nb\"", new string('L', 40), Invalid,
    ];

    /// <summary>Good cells per column, picked most of the time so that many rows are good.</summary>
    private static readonly Dictionary<string, string[]> Good = new()
    {
        ["name"] = ["Ana", " b ", "\"x, y\"", "é日😀", ""],
        ["age"] = ["42", "-0", " 12 ", "3.5", "1e3", ""],
        ["vip"] = ["true", "FALSE", "yes", "n", "1", " 0 ", ""],
        ["born"] = ["2024-05-01", "2024-05-01T10:30:00Z", "2024-05-01T10:30:00+02:00", ""],
        ["tags"] = ["x|y|z", "|", "a", ""],
    };

    [Property(MaxTest = 200)]
    public async Task The_one_pass_read_gives_the_checks_and_patches_of_the_two_step_read(int[][] rows, int idColumn, bool ignoreColumn)
    {
        rows ??= [];
        string[] fields = ["name", "age", "vip", "born", "tags"];
        var header = fields.ToList();
        header.Insert(Math.Abs(idColumn % (fields.Length + 1)), "customerId");
        if (ignoreColumn)
        {
            header.Add("other");
        }

        var csv = new StringBuilder(string.Join(",", header)).Append('\n');
        for (var r = 0; r < rows.Length; r++)
        {
            var picks = rows[r] ?? [];

            // Mostly the header's width; sometimes one cell more or less.
            var width = picks.Length > 0 && picks[0] % 7 == 0 ? header.Count + ((picks[0] & 1) == 0 ? 1 : -1) : header.Count;
            var cells = new List<string>();
            for (var c = 0; c < width; c++)
            {
                var pick = picks.Length == 0 ? r + c : picks[(c + 1) % picks.Length] + c;
                var column = header.ElementAtOrDefault(c);
                cells.Add(
                    column == "customerId" && pick % 5 != 0 ? $"id{r % 7}"
                    : column is not null && Good.TryGetValue(column, out var good) && pick % 4 != 0 ? good[Math.Abs(pick % good.Length)]
                    : Cells[Math.Abs(pick % Cells.Length)]);
            }

            csv.Append(string.Join(",", cells)).Append('\n');
        }

        var utf8 = Encoding.UTF8.GetBytes(csv.ToString());
        var bytes = new List<byte>(utf8.Length);
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8.AsSpan(i).StartsWith(Invalid.Select(static c => (byte)c).ToArray()))
            {
                bytes.AddRange([0xFF, 0xFE]);
                i += Invalid.Length - 1;
            }
            else
            {
                bytes.Add(utf8[i]);
            }
        }

        var options = new CsvImportOptions { Separator = ',', MaxCellBytes = 32, UnknownColumns = UnknownColumnHandling.Ignore };
        await using var twoStep = CustomerCsvReader.Create(new MemoryStream(bytes.ToArray()), Schema, options);
        await using var onePass = CustomerCsvReader.Create(new MemoryStream(bytes.ToArray()), Schema, options);
        await using var asRecord = CustomerCsvReader.Create(new MemoryStream(bytes.ToArray()), Schema, options);
        var expected = new RecordBuffer();
        var actual = new RecordBuffer();
        var record = new RecordBuffer();
        int[] fieldIds = [3, 200, 0, 127, 128]; // one- and two-byte varints
        while (await twoStep.ReadRowAsync(false, default))
        {
            Assert.True(await onePass.NextRowAsync(default));
            Assert.Equal((twoStep.RowsRead, twoStep.Line), (onePass.RowsRead, onePass.Line));
            actual.Clear();
            actual.WriteByte(0xAA);
            var good = onePass.TryEncodeRow(actual, out var hash);
            Assert.Equal(twoStep.RowProblems, onePass.RowProblems);
            Assert.Equal(twoStep.RowProblems.Count == 0, good);
            Assert.True(await asRecord.NextRowAsync(default));
            record.Clear();
            record.WriteByte(0xAA);
            Assert.Equal(good, asRecord.TryEncodeRow(record, fieldIds, out var recordHash));
            Assert.Equal(twoStep.RowProblems, asRecord.RowProblems);
            Assert.Equal(hash, recordHash);
            if (good)
            {
                expected.Clear();
                expected.WriteByte(0xAA);
                Assert.Equal(twoStep.EncodePatch(expected), hash);
                Assert.Equal(expected.WrittenSpan.ToArray(), actual.WrittenSpan.ToArray());
                Assert.Equal(RecordOfPatch(expected.WrittenSpan[1..], fieldIds), record.WrittenSpan[1..].ToArray());
            }
            else
            {
                Assert.Equal((0UL, 1), (hash, actual.Length));
                Assert.Equal(1, record.Length);
            }
        }

        Assert.False(await onePass.NextRowAsync(default));
        Assert.Equal(rows.Length, onePass.RowsRead);
    }

    /// <summary>The in-memory store's record a patch stands for: the id, no time zone, the count of non-null values, each after its field id.</summary>
    private static byte[] RecordOfPatch(ReadOnlySpan<byte> patch, int[] fieldIds)
    {
        var position = 0;
        CustomerRecordCodec.ReadStringBytes(patch, ref position, out _);
        var values = new RecordBuffer();
        var count = 0;
        for (var k = 0; k < fieldIds.Length; k++)
        {
            var length = CustomerRecordCodec.ValueLength(patch, position);
            if (patch[position] != CustomerRecordCodec.NullTag)
            {
                values.WriteVarint((ulong)fieldIds[k]);
                values.Write(patch.Slice(position, length));
                count++;
            }

            position += length;
        }

        Assert.Equal(patch.Length, position);
        var record = new RecordBuffer();
        var idEnd = 0;
        CustomerRecordCodec.ReadStringBytes(patch, ref idEnd, out _);
        record.Write(patch[..idEnd]);
        record.WriteByte(0);
        record.WriteVarint((ulong)count);
        record.Write(values.WrittenSpan);
        return record.WrittenSpan.ToArray();
    }
}
