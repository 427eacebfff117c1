using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps;
using Pipeline.Core.Steps.Data.Sql;
using Pipeline.Core.Tests.Support;

namespace Pipeline.Core.Tests.Steps.Data.Sql;

public sealed class SqlWriteSqliteTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Db => _dir["target.db"];

    private SqlStepRun Write(string mode = "append", params RecordBatch[] batches) =>
        new SqlStepRun(new SqlWriteStep(), _dir.Path)
            .With("connection", "sqlite:target.db")
            .With("table", "orders")
            .With("mode", mode)
            .Input("extract", batches);

    private long Count(string sql = "SELECT count(*) FROM orders") => (long)SqliteFile.Scalar(Db, sql)!;

    [Fact]
    public async Task Append_creates_the_missing_table_from_the_record_types_and_loads_every_row()
    {
        var run = await Write("append", Rows.OrderBatches(1, 250).ToArray()).With("batch_size", "100").ExecuteAsync();

        Assert.Equal(250L, Count());
        Assert.Equal(250L, Count("SELECT count(DISTINCT id) FROM orders"));
        Assert.Equal(250L, run.Result("rows_written"));
        Assert.Equal(250L, run.Result("rows_read"));
        Assert.Equal(0L, run.Result("rows_rejected"));
        Assert.Equal(3L, run.Result("batches"));
        Assert.Equal("INTEGER,TEXT,DECIMAL,DATE,TIMESTAMP,BOOLEAN",
            SqliteFile.Scalar(Db, "SELECT group_concat(type, ',') FROM (SELECT type FROM pragma_table_info('orders') ORDER BY cid)"));
        Assert.Equal("2026-11-08", SqliteFile.Scalar(Db, "SELECT day FROM orders WHERE id = 7"));
        Assert.Equal(8.75, SqliteFile.Scalar(Db, "SELECT amount FROM orders WHERE id = 7"));
        Assert.Equal(1L, SqliteFile.Scalar(Db, "SELECT paid FROM orders WHERE id = 8"));
    }

    [Fact]
    public async Task Append_adds_to_the_rows_already_there()
    {
        await Write("append", Rows.OrderBatches(1, 10).ToArray()).ExecuteAsync();
        await Write("append", Rows.OrderBatches(11, 30).ToArray()).ExecuteAsync();

        Assert.Equal(30L, Count());
        Assert.Equal(30L, Count("SELECT count(DISTINCT id) FROM orders"));
    }

    [Fact]
    public async Task Truncate_empties_the_table_in_the_first_batch_and_keeps_its_definition()
    {
        SqliteFile.Execute(Db, "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount DECIMAL, day DATE, at TIMESTAMP, paid BOOLEAN, note TEXT DEFAULT 'kept')");
        await Write("append", Rows.OrderBatches(1, 50).ToArray()).ExecuteAsync();

        await Write("truncate", Rows.OrderBatches(100, 119).ToArray()).ExecuteAsync();

        Assert.Equal(20L, Count());
        Assert.Equal(100L, SqliteFile.Scalar(Db, "SELECT min(id) FROM orders"));
        Assert.Equal("kept", SqliteFile.Scalar(Db, "SELECT note FROM orders LIMIT 1"));
    }

    [Fact]
    public async Task Truncate_with_no_input_rows_still_empties_the_table()
    {
        await Write("append", Rows.OrderBatches(1, 5).ToArray()).ExecuteAsync();

        await Write("truncate").ExecuteAsync();

        Assert.Equal(0L, Count());
    }

    [Fact]
    public async Task Upsert_updates_rows_by_key_and_inserts_the_others()
    {
        await Write("upsert", Rows.OrderBatches(1, 10).ToArray()).With("key", new List<object?> { "id" }).ExecuteAsync();
        var changed = new RecordBatch(Rows.Orders, Enumerable.Range(8, 6).Select(id =>
        {
            var row = Rows.Order(id);
            row[1] = "changed";
            return row;
        }).ToList());

        var run = await Write("upsert", changed).With("key", new List<object?> { "id" }).ExecuteAsync();

        Assert.Equal(13L, Count());
        Assert.Equal(6L, Count("SELECT count(*) FROM orders WHERE customer = 'changed'"));
        Assert.Equal(7L, Count("SELECT count(*) FROM orders WHERE customer <> 'changed'"));
        Assert.Equal(6L, run.Result("rows_written"));
        Assert.Equal(1L, SqliteFile.Scalar(Db, "SELECT pk FROM pragma_table_info('orders') WHERE name = 'id'"));
    }

    [Fact]
    public async Task Upsert_without_a_key_is_a_configuration_error_before_anything_is_written()
    {
        var ex = await Write("upsert", Rows.OrderBatches(1, 3).ToArray()).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("needs the option 'key'", ex.Message);
        Assert.False(File.Exists(Db));
    }

    [Fact]
    public async Task Replace_drops_the_table_and_creates_it_from_the_records()
    {
        SqliteFile.Execute(Db, "CREATE TABLE orders (old_column TEXT); INSERT INTO orders VALUES ('x')");

        await Write("replace", Rows.Untyped(["code", "qty"], ["a", 1L], ["b", 2L])).ExecuteAsync();

        Assert.Equal(2L, Count());
        Assert.Equal("code,qty", SqliteFile.Scalar(Db, "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('orders') ORDER BY cid)"));
        Assert.Equal("TEXT,INTEGER", SqliteFile.Scalar(Db, "SELECT group_concat(type, ',') FROM (SELECT type FROM pragma_table_info('orders') ORDER BY cid)"));
    }

    [Fact]
    public async Task A_batch_the_database_refuses_is_halved_until_the_bad_rows_are_found_and_rejected_while_the_others_load()
    {
        SqliteFile.Execute(Db, "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL CHECK (customer <> 'bad'), amount DECIMAL, day DATE, at TIMESTAMP, paid BOOLEAN)");
        var batches = Rows.OrderBatches(1, 1000).Select(b => new RecordBatch(b.Schema, b.Rows.Select(r =>
        {
            var id = (long)r[0]!;
            if (id is 17 or 500 or 501 or 999) r[1] = "bad";
            if (id == 640) r[1] = null;
            return r;
        }).ToList())).ToArray();

        var run = await Write("append", batches).With("batch_size", "200").ExecuteAsync();

        Assert.Equal(995L, Count());
        Assert.Equal(0L, Count("SELECT count(*) FROM orders WHERE id IN (17, 500, 501, 640, 999)"));
        var rejected = run.Rejected.Rows.ToArray();
        Assert.Equal([17L, 500L, 501L, 640L, 999L], rejected.Select(r => (long)r[0]!).Order().ToArray());
        Assert.Equal("error", run.Rejected.Batches[0].Schema.Fields[^1].Name);
        Assert.Contains("CHECK constraint failed", (string)rejected.First(r => (long)r[0]! == 17)[^1]!);
        Assert.Contains("NOT NULL constraint failed: orders.customer", (string)rejected.First(r => (long)r[0]! == 640)[^1]!);
        Assert.Equal(995L, run.Result("rows_written"));
        Assert.Equal(5L, run.Result("rows_rejected"));
        Assert.Equal(4L, run.Result("batches_bisected"));
    }

    [Fact]
    public async Task A_value_the_column_cannot_take_rejects_its_row_without_failing_the_batch()
    {
        SqliteFile.Execute(Db, "CREATE TABLE orders (id INTEGER, customer TEXT)");

        var run = await Write("append", Rows.Untyped(["id", "customer"], ["1", "a"], ["two", "b"], [3L, "c"])).ExecuteAsync();

        Assert.Equal(2L, Count());
        var rejected = Assert.Single(run.Rejected.Rows);
        Assert.Equal("two", rejected[0]);
        Assert.Equal("the column 'id' (INTEGER) cannot take the value 'two'", rejected[^1]);
        Assert.Equal(0L, run.Result("batches_bisected"));
    }

    [Fact]
    public async Task Rejected_rows_nobody_reads_are_logged()
    {
        SqliteFile.Execute(Db, "CREATE TABLE orders (id INTEGER NOT NULL)");
        var run = Write("append", Rows.Untyped(["id"], [1L], [null], [3L]));
        run.ReadsRejected = false;

        await run.ExecuteAsync();

        Assert.Contains(run.Log, l => l.Level == LogLevel.Warning && l.Message.Contains("Rejected a row for 'orders': NOT NULL constraint failed: orders.id"));
        Assert.Equal(2L, Count());
    }

    [Fact]
    public async Task More_rejected_rows_than_max_rejected_fail_the_step()
    {
        SqliteFile.Execute(Db, "CREATE TABLE orders (id INTEGER NOT NULL)");

        var ex = await Write("append", Rows.Untyped(["id"], [1L], [null], [null], [4L])).With("max_rejected", "1").FailsAsync(ErrorKind.Validation);

        Assert.Contains("2 rows were rejected, more than 'max_rejected' (1) allows", ex.Message);
    }

    [Fact]
    public async Task A_missing_table_without_create_is_a_clear_not_found_error()
    {
        SqliteFile.Execute(Db, "CREATE TABLE other (x INTEGER)");

        var ex = await Write("append", Rows.OrderBatches(1, 3).ToArray()).With("create", "false").FailsAsync(ErrorKind.NotFound);

        Assert.Equal($"The table 'orders' does not exist in the SQLite database '{Db}' (set 'create: true' to create it from the records).", ex.Message);
    }

    [Fact]
    public async Task A_field_the_table_lacks_is_a_clear_error_naming_the_columns()
    {
        SqliteFile.Execute(Db, "CREATE TABLE orders (id INTEGER, name TEXT)");

        var ex = await Write("append", Rows.Untyped(["id", "nmae"], [1L, "a"])).FailsAsync(ErrorKind.Configuration);

        Assert.Equal("The table 'orders' has no column 'nmae' for the record field of that name (its columns: id, name).", ex.Message);
    }

    [Fact]
    public async Task A_busy_database_is_retried_after_the_backoff_and_the_batch_then_loads()
    {
        await Write("append", Rows.Untyped(["id"], [0L])).ExecuteAsync(); // the table and the progress table exist
        var clock = new ManualTimeProvider();
        await using var holder = new SqliteConnection($"Data Source={Db};Pooling=False");
        await holder.OpenAsync();
        var lockTransaction = holder.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: holds the write lock
        var run = Write("append", Rows.Untyped(["id"], [1L], [2L])).With("command_timeout", "1s").With("retry_delay", "30s");
        run.Time = clock;
        var retrying = new TaskCompletionSource();
        run.OnLog = (level, message) =>
        {
            if (message.Contains("retrying in 30s")) retrying.TrySetResult();
        };

        var load = run.ExecuteAsync();
        await retrying.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await clock.WaitForTimersAsync();
        lockTransaction.Rollback();
        clock.Advance(TimeSpan.FromSeconds(30));
        await load.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(3L, Count());
        Assert.Equal(2L, run.Result("rows_retried"));
        Assert.Contains(run.Log, l => l.Level == LogLevel.Warning && l.Message.Contains("database is locked") && l.Message.Contains("retry 1 of 3"));
    }

    [Fact]
    public async Task A_load_resumed_after_a_failure_skips_the_committed_rows_and_loads_the_rest_once()
    {
        var checkpoints = StepCheckpoints.InMemory();
        var first = Write("append").With("batch_size", "100");
        first.Input("extract", FailingAfter(Rows.OrderBatches(1, 1000, 50), rows: 430));
        first.Checkpoints = checkpoints;
        first.RunId = "run-1";
        await Assert.ThrowsAsync<IOException>(() => first.ExecuteAsync());
        Assert.Equal(400L, Count()); // four whole batches; the rows of the fifth were never committed

        var resumed = Write("append", Rows.OrderBatches(1, 1000, 50).ToArray()).With("batch_size", "100");
        resumed.Checkpoints = checkpoints;
        resumed.RunId = "run-2";
        await resumed.ExecuteAsync();

        Assert.Equal(1000L, Count());
        Assert.Equal(1000L, Count("SELECT count(DISTINCT id) FROM orders"));
        Assert.Equal(400L, resumed.Result("rows_skipped"));
        Assert.Equal(600L, resumed.Result("rows_written"));
        Assert.Equal(1000L, resumed.Result("load_rows_written"));
        Assert.Contains(resumed.Log, l => l.Message.Contains("an earlier attempt committed 400 input rows"));
        Assert.Equal(1L, SqliteFile.Scalar(Db, "SELECT completed FROM pipeline_load_progress WHERE load_id = 'run-1/load'"));
    }

    [Fact]
    public async Task A_new_run_loads_again_and_keeps_only_the_newest_completed_progress_row()
    {
        await Write("append", Rows.OrderBatches(1, 10).ToArray()).ExecuteAsync();
        var second = Write("append", Rows.OrderBatches(11, 20).ToArray());
        await second.ExecuteAsync();

        Assert.Equal(20L, Count());
        Assert.Equal(second.RunId + "/load", SqliteFile.Scalar(Db, "SELECT group_concat(load_id) FROM pipeline_load_progress"));
    }

    [Fact]
    public async Task Cancelling_stops_the_load_between_batches_and_leaves_only_whole_batches()
    {
        using var cancel = new CancellationTokenSource();
        var run = Write("append").With("batch_size", "100");
        run.Input("extract", CancelAfter(Rows.OrderBatches(1, 1000, 100), after: 3, cancel));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.ExecuteAsync(cancel.Token));

        Assert.Equal(0L, Count() % 100);
        Assert.True(Count() <= 300);
    }

    [Fact]
    public async Task Records_of_changing_schemas_load_into_the_matching_columns()
    {
        SqliteFile.Execute(Db, "CREATE TABLE orders (id INTEGER, name TEXT, extra TEXT)");

        await Write("append", Rows.Untyped(["id", "name"], [1L, "a"]), Rows.Untyped(["name", "id", "extra"], ["b", 2L, "x"])).ExecuteAsync();

        Assert.Equal("1:a:|2:b:x", SqliteFile.Scalar(Db, "SELECT group_concat(id || ':' || name || ':' || coalesce(extra, ''), '|') FROM (SELECT * FROM orders ORDER BY id)"));
    }

    private static async IAsyncEnumerable<RecordBatch> FailingAfter(IEnumerable<RecordBatch> batches, int rows, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var sent = 0;
        foreach (var batch in batches)
        {
            if (sent + batch.Count > rows) throw new IOException("The input broke off.");
            sent += batch.Count;
            await Task.Yield();
            yield return batch;
        }
    }

    private static async IAsyncEnumerable<RecordBatch> CancelAfter(IEnumerable<RecordBatch> batches, int after, CancellationTokenSource cancel, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var sent = 0;
        foreach (var batch in batches)
        {
            if (sent++ == after) await cancel.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return batch;
        }
    }
}
