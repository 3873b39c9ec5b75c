using System.Text;
using Journeys.Audiences;
using static Journeys.Tests.Audiences.AudienceHost;

namespace Journeys.Tests.Audiences;

public sealed class CsvImportTests
{
    [Theory]
    [InlineData(",", "\r\n", false)]
    [InlineData(";", "\n", true)]
    [InlineData("\t", "\r\n", true)]
    [InlineData("|", "\n", false)]
    public async Task Separators_line_endings_and_byte_order_marks_are_handled(string separator, string newline, bool bom)
    {
        await using var host = await CreateAsync();
        var text = string.Join(newline, [
            string.Join(separator, "CustomerID", "firstName", "age", "vip", "birthDate", "tags"),
            string.Join(separator, "ana@example.com", "Ana", "31", "true", "1990-05-01", "a|b"),
            string.Join(separator, "  bob@example.com ", "Bob", "-2.5", "no", "1985-02-03T10:00:00+02:00", ""),
            "", "", ""]);
        if (separator == "|")
        {
            text = text.Replace("a|b", "\"a|b\"", StringComparison.Ordinal);
        }

        var report = await host.Audience.ImportCsvAsync(Csv(text, bom));

        Assert.Equal((2L, 2, 0, 0), (report.RowsRead, report.Created, report.Updated, report.Rejected));
        var ana = (await host.Audience.GetCustomerAsync("ana@example.com"))!;
        Assert.Equal("Ana", ana.GetField("firstName").AsString());
        Assert.Equal(31d, ana.GetField("age").AsNumber());
        Assert.True(ana.GetField("vip").AsBoolean());
        Assert.Equal(new DateTimeOffset(1990, 5, 1, 0, 0, 0, TimeSpan.Zero), ana.GetField("birthDate").AsDateTime());
        Assert.Equal(["a", "b"], ana.GetField("tags").AsStringList());
        var bob = (await host.Audience.GetCustomerAsync("bob@example.com"))!;
        Assert.Equal(-2.5, bob.GetField("age").AsNumber());
        Assert.False(bob.GetField("vip").AsBoolean());
        Assert.Equal(new DateTimeOffset(1985, 2, 3, 8, 0, 0, TimeSpan.Zero), bob.GetField("birthDate").AsDateTime());
        Assert.False(bob.Fields.ContainsKey("tags"));
    }

    [Fact]
    public async Task Quoted_fields_keep_separators_quotes_and_line_breaks()
    {
        await using var host = await CreateAsync();
        var text = "customerId,firstName,email\r\n\"c,1\",\"Smith, \"\"Jo\"\"\",\"line1\r\nline2\nline3\"\r\nc2,plain,x\r\n";
        var report = await host.Audience.ImportCsvAsync(Csv(text));
        Assert.Equal(2L, report.RowsRead);
        var c1 = (await host.Audience.GetCustomerAsync("c,1"))!;
        Assert.Equal("Smith, \"Jo\"", c1.GetField("firstName").AsString());
        Assert.Equal("line1\r\nline2\nline3", c1.GetField("email").AsString());
        Assert.NotNull(await host.Audience.GetCustomerAsync("c2"));
    }

    [Fact]
    public async Task Text_that_is_not_utf8_is_a_problem_of_its_row_and_column_and_nothing_is_written()
    {
        // A Latin-1 file: 'é' is the single byte 0xE9, not UTF-8. It was read as U+FFFD without a word, ids included
        // (so 'josé' and 'josè' would even have become the same customer).
        await using var host = await CreateAsync();
        var bytes = Encoding.Latin1.GetBytes("customerId,firstName,tags,age\nc1,Jos\u00e9,a,1\nc\u00e9,Ana,b,2\nc3,Bo,x|\u00e8,3\nc4,Li,,\u00e9\n");

        var error = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(new MemoryStream(bytes)).AsTask());

        Assert.Equal(
            [(2L, "firstName"), (3L, "customerId"), (4L, "tags"), (5L, "age")],
            error.Problems.Select(p => (p.Line, p.Column)));
        Assert.Contains("not valid UTF-8", error.Problems[0].Message, StringComparison.Ordinal);
        Assert.Empty(await host.AllCustomersAsync());

        await using var reader = CustomerCsvReader.Create(new MemoryStream(bytes), (await host.Audience.GetFieldsAsync()));
        Assert.True(await reader.ReadAsync());
        Assert.False(reader.Current.IsValid);
        Assert.Equal("firstName", Assert.Single(reader.Current.Problems).Column);
    }

    [Fact]
    public async Task A_stream_that_cannot_seek_is_imported_too()
    {
        await using var host = await CreateAsync();
        var report = await host.Audience.ImportCsvAsync(new OneWayStream(Csv("customerId,age\nc1,1\nc2,2\n")));
        Assert.Equal((2L, 2), (report.RowsRead, report.Created));
    }

    [Fact]
    public async Task Existing_customers_are_updated_keeping_the_fields_the_file_has_no_column_for()
    {
        await using var host = await CreateAsync();
        await host.Audience.PutCustomersAsync([new CustomerInput("c1", new Dictionary<string, object?> { ["firstName"] = "Ana", ["age"] = 30, ["vip"] = true })]);
        var report = await host.Audience.ImportCsvAsync(Csv("customerId,age,vip\nc1,31,\nc2,40,false\n"));
        Assert.Equal((2L, 1, 1), (report.RowsRead, report.Created, report.Updated));
        var c1 = (await host.Audience.GetCustomerAsync("c1"))!;
        Assert.Equal(("Ana", 31d), (c1.GetField("firstName").AsString(), c1.GetField("age").AsNumber()));
        Assert.False(c1.Fields.ContainsKey("vip")); // an empty cell clears
    }

    [Fact]
    public async Task Date_formats_and_cultures_are_configurable()
    {
        await using var host = await CreateAsync();
        var options = new CsvImportOptions { DateTimeFormats = ["dd/MM/yyyy"], FormatProvider = new System.Globalization.CultureInfo("es-ES"), Separator = ';' };
        await host.Audience.ImportCsvAsync(Csv("customerId;birthDate;age\nc1;03/02/1985;1,5\n"), options);
        var c1 = (await host.Audience.GetCustomerAsync("c1"))!;
        Assert.Equal(new DateTimeOffset(1985, 2, 3, 0, 0, 0, TimeSpan.Zero), c1.GetField("birthDate").AsDateTime());
        Assert.Equal(1.5, c1.GetField("age").AsNumber());
    }

    [Fact]
    public async Task A_file_without_a_customerId_column_is_refused()
    {
        await using var host = await CreateAsync();
        var refused = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(Csv("email,age\nc1,3\n")).AsTask());
        var problem = Assert.Single(refused.Problems);
        Assert.Equal(1, problem.Line);
        Assert.Contains("no customerId column", problem.Message, StringComparison.Ordinal);
        Assert.Empty(await host.AllCustomersAsync());
    }

    [Fact]
    public async Task Empty_files_and_unknown_columns_are_refused()
    {
        await using var host = await CreateAsync();
        var empty = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(Csv("")).AsTask());
        Assert.Contains("empty", empty.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(Csv("customerId,shoeSize\nc1,42\n")).AsTask());
        Assert.Contains("'shoeSize'", unknown.Message, StringComparison.Ordinal);
        Assert.Empty(await host.AllCustomersAsync());
    }

    [Fact]
    public async Task Unknown_columns_become_string_fields_when_enabled()
    {
        await using var host = await CreateAsync(addUnknownFields: true);
        await host.Audience.ImportCsvAsync(Csv("customerId,shoeSize\nc1,42\n"));
        Assert.True((await host.Audience.GetFieldsAsync()).TryGetField("shoeSize", out var field));
        Assert.Equal(FieldType.String, field.Type);
        Assert.Equal("42", (await host.Audience.GetCustomerAsync("c1"))!.GetField("shoeSize").AsString());
    }

    [Fact]
    public async Task Bad_rows_refuse_the_whole_file_with_line_and_column_of_each_problem()
    {
        await using var host = await CreateAsync();
        var text = new StringBuilder("customerId,age,vip,birthDate\n")
            .Append("good1,1,true,2000-01-01\n")          // line 2
            .Append("bad-count,1,true\n")                 // line 3: 3 fields
            .Append(" ,2,true,2000-01-01\n")              // line 4: empty id
            .Append("bad-age,old,true,2000-01-01\n")      // line 5
            .Append("bad-vip,3,maybe,2000-01-01\n")       // line 6
            .Append("bad-date,3,true,01/02/2000\n")       // line 7
            .Append("\"quoted\nid\",4,true,2000-01-01\n") // lines 8-9 (good)
            .Append("good1,5,false,2000-01-01\n")         // line 10: duplicate of line 2
            .Append("big," + new string('9', 70_000) + ",true,2000-01-01\n") // line 11: cell over 64 KiB
            .ToString();

        var refused = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(Csv(text)).AsTask());

        Assert.Equal(
            [(3L, null), (4, "customerId"), (5, "age"), (6, "vip"), (7, "birthDate"), (10, "customerId"), (11, "age")],
            refused.Problems.Select(p => (p.Line, p.Column)));
        Assert.Equal(7, refused.ProblemCount);
        Assert.Equal(9, refused.RowsRead);
        Assert.Contains("the row has 3 fields; the header has 4", refused.Problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("also on line 2", refused.Problems[5].Message, StringComparison.Ordinal);
        Assert.Contains("line 5, column 'age'", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await host.AllCustomersAsync());
    }

    [Fact]
    public async Task A_quoted_cell_that_is_never_closed_is_a_problem_of_its_row_not_text_that_swallows_the_rows_after_it()
    {
        await using var host = await CreateAsync();
        var text = "customerId,age,firstName\nc1,1,Ana\n\"c2\",2,\"Bob\nc3,3,Cy\nc4,4,Di\n";

        var refused = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(Csv(text)).AsTask());
        var problem = Assert.Single(refused.Problems);
        Assert.Equal((3L, "firstName"), (problem.Line, problem.Column));
        Assert.Contains("never closed", problem.Message, StringComparison.Ordinal);
        Assert.Empty(await host.AllCustomersAsync());

        var partial = await host.Audience.ImportCsvAsync(Csv(text), new CsvImportOptions { Mode = CsvImportMode.ImportValidRows });
        Assert.Equal((1, 1), (partial.Created, partial.Rejected));
        Assert.Equal((3L, "firstName"), (partial.Problems[0].Line, partial.Problems[0].Column));
        Assert.Equal(["c1"], (await host.AllCustomersAsync()).Select(c => c.Id));

        var header = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(Csv("customerId,\"firstName\nc9,Ana\n")).AsTask());
        Assert.Contains(header.Problems, p => p.Line == 1 && p.Message.Contains("never closed", StringComparison.Ordinal));
        Assert.Equal(["c1"], (await host.AllCustomersAsync()).Select(c => c.Id));
    }

    [Fact]
    public async Task A_bad_row_that_spans_lines_is_reported_at_its_first_line_and_the_lines_after_it_keep_counting()
    {
        await using var host = await CreateAsync();
        var text = "customerId,firstName,age\nc1,\"a\r\nb\nc\",old\nc2,x,1\nc3,\"y\",z\n";
        var report = await host.Audience.ImportCsvAsync(Csv(text), new CsvImportOptions { Mode = CsvImportMode.ImportValidRows });
        Assert.Equal([(2L, "age"), (6L, "age")], report.Problems.Select(p => (p.Line, p.Column)));
        Assert.Equal(["c2"], (await host.AllCustomersAsync()).Select(c => c.Id));
    }

    [Fact]
    public async Task The_report_lists_the_first_100_problems_and_counts_them_all()
    {
        await using var host = await CreateAsync();
        var text = new StringBuilder("customerId,age\n");
        for (var i = 0; i < 250; i++)
        {
            text.Append(i % 2 == 0 ? $"c{i},x\n" : $"c{i},{i}\n");
        }

        var refused = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(Csv(text.ToString())).AsTask());
        Assert.Equal(100, refused.Problems.Count);
        Assert.Equal(125, refused.ProblemCount);
        Assert.Equal(2, refused.Problems[0].Line);
        Assert.Equal(200, refused.Problems[99].Line);
        Assert.Empty(await host.AllCustomersAsync());
    }

    [Fact]
    public async Task Opt_in_mode_imports_the_good_rows_and_reports_the_rejected_ones()
    {
        await using var host = await CreateAsync();
        var text = "customerId,age\nc1,1\nc2,old\nc3,3\nc1,4\n,5\n";
        var report = await host.Audience.ImportCsvAsync(Csv(text), new CsvImportOptions { Mode = CsvImportMode.ImportValidRows });
        Assert.Equal((5L, 2, 0, 3), (report.RowsRead, report.Created, report.Updated, report.Rejected));
        Assert.Equal([(3L, "age"), (5, "customerId"), (6, "customerId")], report.Problems.Select(p => (p.Line, p.Column)));
        Assert.Equal(3, report.ProblemCount);
        Assert.Equal(["c1", "c3"], (await host.AllCustomersAsync()).Select(c => c.Id));
        Assert.Equal(1d, (await host.Audience.GetCustomerAsync("c1"))!.GetField("age").AsNumber());
    }

    [Fact]
    public async Task A_file_over_the_row_limit_is_refused_whole()
    {
        await using var host = await CreateAsync();
        var refused = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(
            Csv("customerId\na\nb\nc\nd\n"), new CsvImportOptions { MaxRows = 3, Mode = CsvImportMode.ImportValidRows }).AsTask());
        Assert.Contains("more than 3 data rows", Assert.Single(refused.Problems).Message, StringComparison.Ordinal);
        Assert.Equal(5, refused.Problems[0].Line);
        Assert.Empty(await host.AllCustomersAsync());
    }

    [Fact]
    public async Task The_cell_limit_is_configurable()
    {
        await using var host = await CreateAsync();
        var refused = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(
            Csv("customerId,firstName\nc1,abcdefghijklmnopqrstuvwxyz\n"), new CsvImportOptions { MaxCellBytes = 16 }).AsTask());
        Assert.Equal((2L, "firstName"), (refused.Problems[0].Line, refused.Problems[0].Column));
    }

    [Fact]
    public async Task A_second_customerId_column_is_refused_a_header_alone_imports_nothing_and_a_cell_at_the_limit_is_accepted()
    {
        await using var host = await CreateAsync();
        var twice = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(Csv("customerId,age,CUSTOMERID\nc1,1,c2\n")).AsTask());
        var problem = Assert.Single(twice.Problems);
        Assert.Equal((1L, "CUSTOMERID"), (problem.Line, problem.Column));
        Assert.Contains("appears twice", problem.Message, StringComparison.Ordinal);

        var headerOnly = await host.Audience.ImportCsvAsync(Csv("customerId,age\r\n"));
        Assert.Equal((0L, 0, 0, 0, 0), (headerOnly.RowsRead, headerOnly.Created, headerOnly.Updated, headerOnly.Enrolled, headerOnly.Rejected));
        Assert.Empty(await host.AllCustomersAsync());

        var report = await host.Audience.ImportCsvAsync(
            Csv("customerId,firstName\nc1," + new string('x', 16) + "\nc2,\"" + new string('"', 32) + "\"\nc3," + new string('x', 17) + "\n"),
            new CsvImportOptions { MaxCellBytes = 16, Mode = CsvImportMode.ImportValidRows });
        Assert.Equal([(4L, "firstName")], report.Problems.Select(p => (p.Line, p.Column)));
        Assert.Equal(["c1", "c2"], (await host.AllCustomersAsync()).Select(c => c.Id));
        Assert.Equal(new string('"', 16), (await host.Audience.GetCustomerAsync("c2"))!.GetField("firstName").AsString());
    }

    [Fact]
    public async Task Colliding_id_hashes_are_never_taken_for_duplicates_and_real_duplicates_are_found_in_a_large_file()
    {
        await using var host = await CreateAsync();
        var text = new StringBuilder("customerId\n");
        for (var i = 0; i < 20_000; i++)
        {
            text.Append("id-").Append(i).Append('\n');
        }

        text.Append("id-17\n");
        var refused = await Assert.ThrowsAsync<CsvImportException>(() => host.Audience.ImportCsvAsync(Csv(text.ToString())).AsTask());
        var problem = Assert.Single(refused.Problems);
        Assert.Equal(20_002, problem.Line);
        Assert.Contains("also on line 19", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_million_row_file_streams_through()
    {
        await using var host = await CreateAsync();
        var report = await host.Audience.ImportCsvAsync(new GeneratedCsvStream(1_000_000));
        Assert.Equal((1_000_000L, 1_000_000, 0, 0), (report.RowsRead, report.Created, report.Updated, report.Rejected));
        var last = (await host.Audience.GetCustomerAsync("c00999999@example.com"))!;
        Assert.Equal(20d + (999_999 % 60), last.GetField("age").AsNumber());
    }
}
