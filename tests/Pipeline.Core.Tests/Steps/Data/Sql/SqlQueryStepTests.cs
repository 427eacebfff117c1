using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Sql;

namespace Pipeline.Core.Tests.Steps.Data.Sql;

public sealed class SqlQueryStepTests : IDisposable
{
    private static readonly RecordSchema Customers = new([new RecordField("id", FieldType.Integer), new RecordField("name", FieldType.String), new RecordField("country", FieldType.String)]);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private SqlStepRun Query(string query) =>
        new SqlStepRun(new SqlQueryStep(), _dir.Path)
            .With("query", query)
            .With("temp_directory", "staging")
            .Input("orders", Rows.OrderBatches(1, 3000, 256).ToArray())
            .Input("customers", new RecordBatch(Customers, Enumerable.Range(0, 7).Select(i => new object?[] { (long)i, "customer " + i, i % 2 == 0 ? "DE" : "FR" }).ToList()));

    [Fact]
    public async Task A_join_over_two_inputs_streams_its_result_typed()
    {
        var run = await Query("""
            SELECT c.country, count(*) AS orders, sum(o.amount) AS total, max(o.day) AS last_day
            FROM orders o JOIN customers c ON c.name = o.customer
            GROUP BY c.country ORDER BY c.country
            """).ExecuteAsync();

        Assert.Equal(2L, run.Result("rows"));
        var rows = run.Output.Rows.ToArray();
        Assert.Equal("DE", rows[0][0]);
        Assert.Equal((long)Enumerable.Range(1, 3000).Count(i => i % 7 % 2 == 0), rows[0][1]);
        Assert.Equal(Enumerable.Range(1, 3000).Where(i => i % 7 % 2 == 0).Sum(i => i * 1.25), Convert.ToDouble(rows[0][2]));
        Assert.Equal("2026-11-20", rows[0][3]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir["staging"]));
    }

    [Fact]
    public async Task Columns_of_staged_inputs_keep_their_types()
    {
        var run = await Query("SELECT id, amount, day, at, paid FROM orders WHERE id = 8").ExecuteAsync();

        Assert.Equal("id:Integer, amount:Decimal, day:Date, at:Timestamp, paid:Boolean", run.Output.Batches[0].Schema.ToString());
        Assert.Equal(Rows.Order(8).Where((_, i) => i != 1).ToArray(), run.Output.Rows.Single());
    }

    [Fact]
    public async Task Template_values_are_bound_as_parameters()
    {
        var run = Query("SELECT count(*) FROM orders o JOIN customers c ON c.name = o.customer WHERE c.country = {country}");
        run.Variables["country"] = "FR";

        await run.ExecuteAsync();

        Assert.Equal((long)Enumerable.Range(1, 3000).Count(i => i % 7 % 2 == 1), run.Output.Rows.Single()[0]);
    }

    [Fact]
    public async Task Tables_can_be_named_apart_from_their_inputs()
    {
        var run = await Query("SELECT count(*) FROM o").With("tables", new Dictionary<string, object?> { ["o"] = "orders" }).ExecuteAsync();

        Assert.Equal(3000L, run.Output.Rows.Single()[0]);
    }

    [Fact]
    public async Task Bad_sql_names_its_position_and_the_tables_there_are()
    {
        var ex = await Query("SELECT *\nFROM orders JOIN customer ON 1 = 1").FailsAsync(ErrorKind.NotFound);

        Assert.Equal("The option 'query' failed at line 2, column 18 in the staged inputs (SQLite): no such table: customer. The tables are: orders, customers.", ex.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir["staging"]));
    }

    [Fact]
    public async Task A_failed_input_fails_the_step_and_removes_the_staging_file()
    {
        var run = Query("SELECT 1").Input("orders", Broken());

        await Assert.ThrowsAsync<IOException>(() => run.ExecuteAsync());

        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir["staging"]));
    }

    [Fact]
    public async Task A_large_input_is_staged_on_disk_with_a_bounded_cache()
    {
        static IEnumerable<RecordBatch> Many()
        {
            for (var b = 0; b < 400; b++)
                yield return new RecordBatch(RecordSchema.Of("id", "text"), Enumerable.Range(b * 1000, 1000).Select(i => new object?[] { (long)i, new string('x', 100) }).ToList());
        }
        var run = new SqlStepRun(new SqlQueryStep(), _dir.Path).With("query", "SELECT count(*), count(DISTINCT id) FROM big").With("memory_mb", "4")
            .Input("big", SqlStepRun.Stream(Many()));
        var before = GC.GetTotalMemory(forceFullCollection: true);

        await run.ExecuteAsync();

        Assert.Equal([400_000L, 400_000L], run.Output.Rows.Single());
        Assert.True(GC.GetTotalMemory(forceFullCollection: true) - before < 20_000_000, "the staged rows stay on disk");
    }

    private static async IAsyncEnumerable<RecordBatch> Broken()
    {
        await Task.Yield();
        yield return Rows.OrderBatches(1, 10).First();
        throw new IOException("The input broke off.");
    }
}
