using System.Text.Json;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Steps.Data.Validation;
using Pipeline.Core.Tests.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Validation;

public sealed class ValidateStepTests
{
    private static Table Customers() => new Table("id", "email", "age", "country", "code", "joined")
        .Row("1", "ada@example.com", "36", "DE", "AB12", "2026-01-05")   // valid
        .Row("2", "alan-at-example", "41", "UK", "AB123", "2026-02-30")  // regex, allowed, max_length, type date
        .Row("2", "", "-3", "DE", "AB", "2026-03-01")                    // unique, nullable, min, min_length
        .Row("x", "grace@example.com", "200", "FR", "ZZ99", null)         // type integer, max
        .Row("5", "linus@example.com", "abc", "AT", "CD34", "2026-04-01"); // type integer (age), min cannot compare

    private static Dictionary<string, object?> Rules() => new()
    {
        ["id"] = new Dictionary<string, object?> { ["type"] = "integer", ["unique"] = "true" },
        ["email"] = new Dictionary<string, object?> { ["nullable"] = "false", ["regex"] = "^[^@ ]+@[^@ ]+$" },
        ["age"] = new Dictionary<string, object?> { ["type"] = "integer", ["min"] = "0", ["max"] = "150" },
        ["country"] = new Dictionary<string, object?> { ["allowed"] = new object?[] { "DE", "AT", "FR" } },
        ["code"] = new Dictionary<string, object?> { ["min_length"] = "3", ["max_length"] = "4" },
        ["joined"] = "date",
    };

    private static TransformRun Validate() => new TransformRun(new ValidateStep()).With("columns", Rules()).Input("in", Customers());

    [Fact]
    public async Task Every_failure_is_collected_with_row_column_check_and_value_before_the_step_fails()
    {
        var run = Validate();
        var ex = await run.FailsAsync(ErrorKind.Validation);

        Assert.StartsWith("4 of 5 rows are invalid", ex.Message);
        using var report = JsonDocument.Parse((string)run.Result("report")!);
        var items = report.RootElement.GetProperty("items").EnumerateArray()
            .Select(i => $"{i.GetProperty("row").GetInt64()} {i.GetProperty("column").GetString()} {i.GetProperty("check").GetString()} {(i.GetProperty("value").ValueKind == JsonValueKind.Null ? "NULL" : i.GetProperty("value").GetString())}")
            .ToList();
        Assert.Equal(
        [
            "2 email regex alan-at-example", "2 country allowed UK", "2 code max_length AB123", "2 joined type 2026-02-30",
            "3 id unique 2", "3 email nullable ", "3 age min -3", "3 code min_length AB",
            "4 id type x", "4 age max 200",
            "5 age type abc", "5 age min abc", "5 age max abc",
        ], items);
        Assert.Equal(5, report.RootElement.GetProperty("rows").GetInt64());
        Assert.Equal(4L, run.Result("invalid_rows"));
        Assert.Equal(1L, run.Result("valid_rows"));
        Assert.Equal(13L, run.Result("failures"));
        Assert.Contains(run.Log, e => e.Level == LogLevel.Warning && e.Message.StartsWith("4 of 5 rows are invalid"));
        Assert.Equal(["1"], run.Column("id")); // valid rows still stream on
    }

    [Fact]
    public async Task Drop_passes_only_valid_rows_and_succeeds()
    {
        var run = await Validate().With("on_invalid", "drop").RunAsync();

        Assert.Equal(["1"], run.Column("id"));
        Assert.Equal(4L, run.Result("invalid_rows"));
    }

    [Fact]
    public async Task Reject_routes_bad_rows_with_their_row_number_and_reasons_to_the_rejected_output()
    {
        var run = Validate().With("on_invalid", "reject");
        var rejected = run.Named("rejected");

        await run.RunAsync();

        Assert.Equal(["1"], run.Column("id"));
        var rows = rejected.Rows.ToList();
        Assert.Equal([2L, 3L, 4L, 5L], rows.Select(r => r[6]));
        Assert.Equal(["id", "email", "age", "country", "code", "joined", "_row", "_errors"], rejected.Batches[0].Schema.Fields.Select(f => f.Name));
        Assert.Equal("id: type (not an integer); age: max (above the maximum 150)", rows[2][7]);
    }

    [Fact]
    public async Task The_reasons_of_a_rejected_row_are_complete_past_the_report_limit()
    {
        var run = Validate().With("on_invalid", "reject").With("report_limit", "1");
        var rejected = run.Named("rejected");

        await run.RunAsync();

        using var report = JsonDocument.Parse((string)run.Result("report")!);
        Assert.Single(report.RootElement.GetProperty("items").EnumerateArray());
        Assert.True(report.RootElement.GetProperty("truncated").GetBoolean());
        Assert.Equal(13, report.RootElement.GetProperty("failures").GetInt64());
        Assert.Contains("age: min", (string)rejected.Rows.ElementAt(1)[7]!);
    }

    [Theory]
    [InlineData("3", false)]
    [InlineData("4", true)]
    [InlineData("79%", false)]
    [InlineData("80%", true)]
    public async Task Max_invalid_fails_the_step_past_a_count_or_percentage(string maxInvalid, bool passes)
    {
        var run = Validate().With("on_invalid", "drop").With("max_invalid", maxInvalid);

        if (passes)
        {
            await run.RunAsync();
        }
        else
        {
            var ex = await run.FailsAsync(ErrorKind.Validation);
            Assert.Contains("(max_invalid)", ex.Message);
        }
    }

    [Fact]
    public async Task Row_rules_fail_when_false_and_pass_when_null_as_a_check_constraint()
    {
        var table = new Table("qty", "price", "total").Row(2L, 3m, 6m).Row(2L, 3m, 7m).Row(null, 3m, 6m).Row("x", 1m, 1m);

        var run = new TransformRun(new ValidateStep()).With("rules", new Dictionary<string, object?> { ["total_matches"] = "qty * price = total" }).With("on_invalid", "drop").Input("in", table);
        await run.RunAsync();

        Assert.Equal([6m, 6m], run.Column("total"));
        using var report = JsonDocument.Parse((string)run.Result("report")!);
        var items = report.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items[0].GetProperty("row").GetInt64());
        Assert.Equal("rule", items[0].GetProperty("check").GetString());
        Assert.Contains("cannot use 'x' as a number", items[1].GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_bad_rule_expression_is_reported_with_its_name_and_column()
    {
        var ex = await new TransformRun(new ValidateStep()).With("rules", new Dictionary<string, object?> { ["positive"] = "amount >> 0" })
            .Input("in", new Table("amount").Row(1L)).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("the rule 'positive'", ex.Message);
        Assert.Contains("at column 9", ex.Message);
    }

    [Theory]
    [InlineData("unique_", "did you mean 'unique'?")]
    [InlineData("type:integr", "did you mean 'integer'?")]
    [InlineData("regex:[", "regex that is not valid")]
    [InlineData("min_length:-1", "min_length below 0")]
    public async Task A_bad_column_rule_is_a_configuration_error_naming_the_column(string rule, string expected)
    {
        var parts = rule.Split(':');
        var check = new Dictionary<string, object?> { [parts[0]] = parts.Length > 1 ? parts[1] : "true" };

        var ex = await new TransformRun(new ValidateStep()).With("columns", new Dictionary<string, object?> { ["id"] = check })
            .Input("in", new Table("id").Row(1L)).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("The rule for the column 'id'", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public async Task A_rule_for_a_column_the_input_lacks_is_named()
    {
        var ex = await new TransformRun(new ValidateStep()).With("columns", new Dictionary<string, object?> { ["emial"] = "string" })
            .Input("in", new Table("email").Row("a")).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("did you mean 'email'?", ex.Message);
    }

    [Fact]
    public async Task Max_invalid_with_on_invalid_fail_is_refused()
    {
        var ex = await Validate().With("max_invalid", "5").FailsAsync(ErrorKind.Configuration);

        Assert.Contains("max_invalid", ex.Message);
    }

    [Fact]
    public async Task Typed_values_are_checked_by_their_type()
    {
        var table = new Table("n", "d", "b", "t")
            .Row(5L, new DateOnly(2026, 1, 1), true, DateTimeOffset.UnixEpoch)
            .Row(2.5m, "2026-01-01", "yes", "2026-01-01T10:00:00Z")
            .Row(3.0, 20260101L, "maybe", "yesterday");
        var columns = new Dictionary<string, object?> { ["n"] = "integer", ["d"] = "date", ["b"] = "boolean", ["t"] = "timestamp" };

        var run = await new TransformRun(new ValidateStep()).With("columns", columns).With("on_invalid", "drop").Input("in", table).RunAsync();

        using var report = JsonDocument.Parse((string)run.Result("report")!);
        var failed = report.RootElement.GetProperty("items").EnumerateArray().Select(i => $"{i.GetProperty("row").GetInt64()}{i.GetProperty("column").GetString()}").ToList();
        Assert.Equal(["2n", "3d", "3b", "3t"], failed);
    }

    [Fact]
    public async Task Report_path_writes_the_report_as_json()
    {
        using var temp = new TempDirectory();
        var run = Validate().With("on_invalid", "drop").With("report_path", "reports/check.json");
        run.WorkingDirectory = temp.Path;

        await run.RunAsync();

        using var report = JsonDocument.Parse(temp.Read("reports/check.json"));
        Assert.Equal(4, report.RootElement.GetProperty("invalid_rows").GetInt64());
        Assert.Equal(["check.json"], temp.Files("reports"));
    }

    [Fact]
    public async Task Unique_values_past_the_memory_budget_are_refused_naming_it()
    {
        var rows = Generated.Rows(Pipeline.Core.Records.RecordSchema.Of("id"), 10_000, i => [i]);

        var ex = await new TransformRun(new ValidateStep()).With("columns", new Dictionary<string, object?> { ["id"] = new Dictionary<string, object?> { ["unique"] = "true" } })
            .With("memory_budget", "16KB").Input("in", rows).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("16 KB (memory_budget)", ex.Message);
    }
}
