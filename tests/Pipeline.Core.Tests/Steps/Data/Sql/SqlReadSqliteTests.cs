using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Sql;

namespace Pipeline.Core.Tests.Steps.Data.Sql;

public sealed class SqlReadSqliteTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public SqlReadSqliteTests()
    {
        SqliteFile.Execute(Db, """
            CREATE TABLE orders (id INTEGER PRIMARY KEY, customer VARCHAR(40), amount DECIMAL(10,2), day DATE, at DATETIME, paid BOOLEAN, ratio REAL, blob BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
            INSERT INTO orders SELECT i, 'customer ' || (i % 7), i * 1.25, '2026-11-' || printf('%02d', 1 + i % 20), '2026-11-21 10:00:00', i % 2, i / 4.0, NULL FROM n;
            """);
    }

    public void Dispose() => _dir.Dispose();

    private string Db => _dir["source.db"];

    private SqlStepRun Read(string query) =>
        new SqlStepRun(new SqlReadStep(), _dir.Path).With("connection", "source.db").With("query", query);

    [Fact]
    public async Task Rows_stream_out_in_batches_typed_by_the_declared_column_types()
    {
        var run = await Read("SELECT * FROM orders ORDER BY id").With("batch_size", "1000").ExecuteAsync();

        Assert.Equal([1000, 1000, 500], run.Output.Batches.Select(b => b.Count));
        Assert.Equal("id:Integer, customer:String, amount:Decimal, day:Date, at:Timestamp, paid:Boolean, ratio:Double, blob:Any",
            run.Output.Batches[0].Schema.ToString());
        var row = run.Output.Rows.Skip(6).First();
        Assert.Equal([7L, "customer 0", 8.75m, new DateOnly(2026, 11, 8), new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero), true, 1.75, null], row);
        Assert.Equal(2500L, run.Result("rows"));
        Assert.Equal(2500L, run.Context.Metrics.Rows);
    }

    [Fact]
    public async Task A_computed_column_takes_the_type_of_its_values_and_turns_to_any_when_they_differ()
    {
        var run = await Read("SELECT count(*) AS n, CASE WHEN id < 3 THEN id ELSE 'many' END AS mixed FROM orders WHERE id <= 4 GROUP BY id ORDER BY id").ExecuteAsync();

        Assert.Equal("n:Integer, mixed:Integer", run.Output.Batches[0].Schema.ToString());
        Assert.Equal("n:Integer, mixed:Any", run.Output.Batches[^1].Schema.ToString());
        Assert.Equal([1L, 2L, "many", "many"], run.Output.Rows.Select(r => r[1]));
    }

    [Fact]
    public async Task Template_values_are_bound_as_parameters_and_never_become_part_of_the_query()
    {
        var run = Read("SELECT id FROM orders WHERE customer = {who} AND id <= {limit} ORDER BY id");
        run.Variables["who"] = "customer 3";
        run.Variables["limit"] = "20";
        await run.ExecuteAsync();
        Assert.Equal([3L, 10L, 17L], run.Output.Rows.Select(r => r[0]));

        var injected = Read("SELECT count(*) FROM orders WHERE customer = {who}");
        injected.Variables["who"] = "x' OR '1'='1";
        await injected.ExecuteAsync();
        Assert.Equal(0L, injected.Output.Rows.Single()[0]);
    }

    [Fact]
    public async Task A_template_reference_inside_quotes_is_refused_with_its_position()
    {
        var run = Read("SELECT id FROM orders\nWHERE customer = '{who}'");
        run.Variables["who"] = "customer 3";

        var ex = await run.FailsAsync(ErrorKind.Configuration);

        Assert.Equal("The option 'query' has '{who}' inside a quoted text at line 2, column 19: template values are bound as parameters, so write the reference without quotes (WHERE name = {name}).", ex.Message);
    }

    [Fact]
    public async Task Braces_written_twice_and_references_in_comments_stay_text()
    {
        var run = await Read("SELECT '{{x}}' AS braces -- {not_a_parameter}\n").ExecuteAsync();

        Assert.Equal("{x}", run.Output.Rows.Single()[0]);
    }

    [Fact]
    public async Task Bad_sql_is_an_error_that_names_the_line_and_column_in_the_query()
    {
        var ex = await Read("SELECT id,\n       customer\nFORM orders").FailsAsync(ErrorKind.Configuration);

        Assert.Equal($"The option 'query' failed at line 3, column 6 in the SQLite database '{Db}': near \"orders\": syntax error.", ex.Message);
    }

    [Fact]
    public async Task A_missing_table_is_a_not_found_error_with_its_position()
    {
        var ex = await Read("SELECT *\n  FROM orders JOIN customers").FailsAsync(ErrorKind.NotFound);

        Assert.Equal($"The option 'query' failed at line 2, column 20 in the SQLite database '{Db}': no such table: customers.", ex.Message);
    }

    [Fact]
    public async Task A_database_file_that_does_not_exist_is_not_created_but_reported()
    {
        var run = new SqlStepRun(new SqlReadStep(), _dir.Path).With("connection", "sqlite:missing.db").With("query", "SELECT 1");

        var ex = await run.FailsAsync(ErrorKind.NotFound);

        Assert.Equal($"The SQLite database '{_dir["missing.db"]}' does not exist.", ex.Message);
        Assert.False(File.Exists(_dir["missing.db"]));
    }

    [Fact]
    public async Task A_connection_that_names_no_provider_is_a_configuration_error()
    {
        var ex = await new SqlStepRun(new SqlReadStep(), _dir.Path).With("connection", "Server=x;Database=y").With("provider", "oracle").With("query", "SELECT 1")
            .FailsAsync(ErrorKind.Configuration);

        Assert.Equal("The option 'provider' must be one of sqlite, postgresql, postgres, not 'oracle'.", ex.Message);
    }

    [Fact]
    public async Task Cancelling_interrupts_a_long_query()
    {
        using var cancel = new CancellationTokenSource();
        var run = Read("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n");

        // Microsoft.Data.Sqlite runs "async" calls synchronously: the engine runs steps on pool threads, as here.
        var running = Task.Run(() => run.ExecuteAsync(cancel.Token));
        await Task.Delay(200);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
