using Npgsql;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Sql;
using Pipeline.Core.Tests.Support;

namespace Pipeline.Core.Tests.Steps.Data.Sql;

/// <summary>The SQL steps against a real PostgreSQL server started by the tests.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SqlPostgresTests : IAsyncLifetime, IDisposable
{
    private readonly PostgresServer _server;
    private readonly TempDirectory _dir = new();
    private string _database = "";

    public SqlPostgresTests(PostgresServer server)
    {
        _server = server;
    }

    public async Task InitializeAsync()
    {
        if (PostgresServer.MissingReason() is null) _database = await _server.CreateDatabaseAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _dir.Dispose();

    private string Connection => _server.ConnectionString(_database);

    private SqlStepRun Write(string mode, params RecordBatch[] batches) =>
        new SqlStepRun(new SqlWriteStep(), _dir.Path).With("connection", Connection).With("table", "orders").With("mode", mode).Input("extract", batches);

    private SqlStepRun Read(string query) =>
        new SqlStepRun(new SqlReadStep(), _dir.Path).With("connection", Connection).With("query", query);

    private async Task<long> CountAsync(string sql = "SELECT count(*) FROM orders") => Convert.ToInt64(await _server.ScalarAsync(_database, sql));

    private Task ExecuteAsync(string sql) => _server.ScalarAsync(_database, sql);

    [PostgresFact]
    public async Task Rows_stream_out_typed_by_the_result_columns()
    {
        await ExecuteAsync("""
            CREATE TABLE t (id bigint, n integer, name varchar(20), amount numeric(10,2), ratio double precision, ok boolean, day date, at timestamptz, local timestamp, tag uuid);
            INSERT INTO t SELECT i, i, 'n' || i, i * 1.25, i / 4.0, i % 2 = 0, DATE '2026-11-01' + i, TIMESTAMPTZ '2026-11-21 10:00:00+00' + i * INTERVAL '1 second',
                TIMESTAMP '2026-11-21 10:00:00', '6f1c1d34-8f62-4a4c-9d3a-0a0a0a0a0a0a' FROM generate_series(1, 3000) i;
            """);

        var run = await Read("SELECT * FROM t ORDER BY id").ExecuteAsync();

        Assert.Equal("id:Integer, n:Integer, name:String, amount:Decimal, ratio:Double, ok:Boolean, day:Date, at:Timestamp, local:Timestamp, tag:Any",
            run.Output.Batches[0].Schema.ToString());
        Assert.Equal([1024, 1024, 952], run.Output.Batches.Select(b => b.Count));
        var row = run.Output.Rows.Skip(6).First();
        Assert.Equal([7L, 7L, "n7", 8.75m, 1.75, false, new DateOnly(2026, 11, 8), new DateTimeOffset(2026, 11, 21, 10, 0, 7, TimeSpan.Zero),
            new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero), Guid.Parse("6f1c1d34-8f62-4a4c-9d3a-0a0a0a0a0a0a")], row);
    }

    [PostgresFact]
    public async Task Template_values_are_bound_as_typed_parameters_never_spliced()
    {
        await ExecuteAsync("CREATE TABLE t (id bigint, name text); INSERT INTO t SELECT i, 'n' || i FROM generate_series(1, 100) i;");
        var run = Read("SELECT name FROM t WHERE id <= {limit} AND name LIKE {pattern} ORDER BY id");
        run.Variables["limit"] = "30";
        run.Variables["pattern"] = "n2%";
        await run.ExecuteAsync();
        Assert.Equal(["n2", "n20", "n21", "n22", "n23", "n24", "n25", "n26", "n27", "n28", "n29"], run.Output.Rows.Select(r => r[0]));

        var injected = Read("SELECT count(*) FROM t WHERE name = {name}");
        injected.Variables["name"] = "x'; DROP TABLE t; --";
        await injected.ExecuteAsync();
        Assert.Equal(0L, injected.Output.Rows.Single()[0]);
        Assert.Equal(100L, await CountAsync("SELECT count(*) FROM t"));
    }

    [PostgresFact]
    public async Task Bad_sql_is_an_error_with_its_line_and_column_in_the_query()
    {
        var run = Read("SELECT 1\nWHERE {x} = 1\n  AND FROM t");
        run.Variables["x"] = "1";

        var ex = await run.FailsAsync(ErrorKind.Configuration);

        Assert.Equal($"The option 'query' failed at line 3, column 7 in the PostgreSQL database '{_database}' on 127.0.0.1:{_server.Port} as 'etl': syntax error at or near \"FROM\" (SQLSTATE 42601).", ex.Message);
    }

    [PostgresFact]
    public async Task A_missing_table_is_a_not_found_error()
    {
        var ex = await Read("SELECT * FROM nowhere").FailsAsync(ErrorKind.NotFound);

        Assert.Contains("at line 1, column 15", ex.Message);
        Assert.Contains("relation \"nowhere\" does not exist", ex.Message);

        var write = await Write("append", Rows.OrderBatches(1, 3).ToArray()).With("create", "false").FailsAsync(ErrorKind.NotFound);
        Assert.StartsWith("The table 'orders' does not exist in the PostgreSQL database", write.Message);
    }

    [PostgresFact]
    public async Task A_wrong_password_is_an_authentication_error_that_does_not_hold_the_password()
    {
        const string wrong = "Wr0ng-S3cret-Value";
        var run = new SqlStepRun(new SqlReadStep(), _dir.Path)
            .With("connection", $"postgresql://etl:{wrong}@127.0.0.1:{_server.Port}/{_database}")
            .With("query", "SELECT 1");

        var ex = await run.FailsAsync(ErrorKind.Authentication);

        Assert.Equal($"The PostgreSQL database '{_database}' on 127.0.0.1:{_server.Port} as 'etl' refused the login: password authentication failed for user \"etl\".", ex.Message);
        Assert.DoesNotContain(wrong, ex.ToString());
    }

    [PostgresTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Append_creates_the_table_and_loads_every_row_by_copy_or_insert(bool copy)
    {
        var run = await Write("append", Rows.OrderBatches(1, 2500, 250).ToArray()).With("batch_size", "1000").With("copy", copy ? "true" : "false").ExecuteAsync();

        Assert.Equal(2500L, await CountAsync());
        Assert.Equal(2500L, await CountAsync("SELECT count(DISTINCT id) FROM orders"));
        Assert.Equal(3L, run.Result("batches"));
        Assert.Equal("bigint,text,numeric,date,timestamp with time zone,boolean",
            await _server.ScalarAsync(_database, "SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0"));
        Assert.Equal(8.75m, await _server.ScalarAsync(_database, "SELECT amount FROM orders WHERE id = 7"));
        Assert.Equal(new DateTime(2026, 11, 21, 10, 0, 7, DateTimeKind.Utc), await _server.ScalarAsync(_database, "SELECT at FROM orders WHERE id = 7"));
    }

    [PostgresFact]
    public async Task Values_are_converted_to_the_types_of_an_existing_table()
    {
        await ExecuteAsync("CREATE TABLE orders (id integer PRIMARY KEY, qty smallint, price real, tag uuid, doc jsonb, day date, at timestamp)");

        await Write("append", Rows.Untyped(["id", "qty", "price", "tag", "doc", "day", "at"],
            ["1", "2", "2.5", "6f1c1d34-8f62-4a4c-9d3a-0a0a0a0a0a0a", "{\"a\": 1}", "2026-11-21", "2026-11-21T10:00:00Z"],
            [2L, 3L, 1.5, null, null, new DateOnly(2026, 11, 22), new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero)])).ExecuteAsync();

        Assert.Equal("1:2:2.5:6f1c1d34-8f62-4a4c-9d3a-0a0a0a0a0a0a:1:2026-11-21:2026-11-21 10:00:00|2:3:1.5:::2026-11-22:2026-11-22 08:00:00",
            await _server.ScalarAsync(_database, "SELECT string_agg(concat_ws(':', id, qty, price, coalesce(tag::text, ''), coalesce(doc->>'a', ''), day, at), '|' ORDER BY id) FROM orders"));
    }

    [PostgresFact]
    public async Task Truncate_empties_the_table_and_keeps_its_definition()
    {
        await ExecuteAsync("CREATE TABLE orders (id bigint PRIMARY KEY, customer text, amount numeric, day date, at timestamptz, paid boolean, note text DEFAULT 'kept')");
        await Write("append", Rows.OrderBatches(1, 50).ToArray()).ExecuteAsync();

        await Write("truncate", Rows.OrderBatches(100, 119).ToArray()).ExecuteAsync();

        Assert.Equal(20L, await CountAsync());
        Assert.Equal(100L, await CountAsync("SELECT min(id) FROM orders"));
        Assert.Equal("kept", await _server.ScalarAsync(_database, "SELECT min(note) FROM orders"));
    }

    [PostgresFact]
    public async Task Upsert_updates_by_key_and_inserts_the_rest()
    {
        await Write("upsert", Rows.OrderBatches(1, 10).ToArray()).With("key", "id").ExecuteAsync();
        var changed = new RecordBatch(Rows.Orders, Enumerable.Range(8, 6).Select(id =>
        {
            var row = Rows.Order(id);
            row[1] = "changed";
            return row;
        }).ToList());

        await Write("upsert", changed).With("key", "id").ExecuteAsync();

        Assert.Equal(13L, await CountAsync());
        Assert.Equal(6L, await CountAsync("SELECT count(*) FROM orders WHERE customer = 'changed'"));
    }

    [PostgresFact]
    public async Task Upsert_of_a_key_twice_in_one_batch_loads_both_in_order()
    {
        await Write("upsert", Rows.Untyped(["id", "v"], [1L, "a"], [2L, "b"], [1L, "c"])).With("key", "id").ExecuteAsync();

        Assert.Equal("1:c|2:b", await _server.ScalarAsync(_database, "SELECT string_agg(id || ':' || v, '|' ORDER BY id) FROM orders"));
    }

    [PostgresFact]
    public async Task Replace_drops_the_table_and_creates_it_from_the_records()
    {
        await ExecuteAsync("CREATE TABLE orders (old_column text); INSERT INTO orders VALUES ('x')");

        await Write("replace", Rows.Untyped(["code", "qty"], ["a", 1L], ["b", 2L])).ExecuteAsync();

        Assert.Equal("code text,qty bigint", await _server.ScalarAsync(_database,
            "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped"));
        Assert.Equal(2L, await CountAsync());
    }

    [PostgresTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_refused_batch_is_bisected_and_only_the_bad_rows_are_rejected(bool copy)
    {
        await ExecuteAsync("CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL CHECK (customer <> 'bad'), amount numeric, day date, at timestamptz, paid boolean)");
        await ExecuteAsync("INSERT INTO orders VALUES (300, 'there already', 0, NULL, NULL, NULL)");
        var batches = Rows.OrderBatches(1, 1000).Select(b => new RecordBatch(b.Schema, b.Rows.Select(r =>
        {
            if ((long)r[0]! is 17 or 999) r[1] = "bad";
            if ((long)r[0]! == 640) r[1] = null;
            return r;
        }).ToList())).ToArray();

        var run = await Write("append", batches).With("batch_size", "250").With("copy", copy ? "true" : "false").ExecuteAsync();

        Assert.Equal(997L, await CountAsync());
        Assert.Equal([17L, 300L, 640L, 999L], run.Rejected.Rows.Select(r => (long)r[0]!).Order());
        Assert.Equal("duplicate key value violates unique constraint \"orders_pkey\"", (string)run.Rejected.Rows.Single(r => (long)r[0]! == 300)[^1]!);
        Assert.Contains("violates check constraint", (string)run.Rejected.Rows.Single(r => (long)r[0]! == 17)[^1]!);
        Assert.Equal(996L, run.Result("rows_written"));
        Assert.Equal(4L, run.Result("rows_rejected"));
        Assert.Equal(4L, run.Result("batches_bisected"));
    }

    [PostgresFact]
    public async Task A_locked_table_is_retried_after_the_backoff()
    {
        await Write("append", Rows.OrderBatches(1, 1).ToArray()).ExecuteAsync();
        await using var holder = await _server.OpenAsync(_database);
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var lockCommand = new NpgsqlCommand("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", holder, transaction))
            await lockCommand.ExecuteNonQueryAsync();
        var clock = new ManualTimeProvider();
        var run = Write("append", Rows.OrderBatches(2, 11).ToArray()).With("retry_delay", "10s")
            .With("connection", Connection + ";Options=-c lock_timeout=200");
        run.Time = clock;
        var retrying = new TaskCompletionSource();
        run.OnLog = (_, message) =>
        {
            if (message.Contains("retrying in 10s")) retrying.TrySetResult();
        };

        var load = Task.Run(() => run.ExecuteAsync());
        await retrying.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await clock.WaitForTimersAsync();
        await transaction.RollbackAsync();
        clock.Advance(TimeSpan.FromSeconds(10));
        await load.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(11L, await CountAsync());
        Assert.Equal(10L, run.Result("rows_retried"));
        Assert.Contains(run.Log, l => l.Level == LogLevel.Warning && l.Message.Contains("lock timeout"));
    }

    [PostgresFact]
    public async Task Cancelling_a_running_query_stops_it_on_the_server()
    {
        using var cancel = new CancellationTokenSource();
        var run = Read("SELECT pg_sleep(60)");

        var running = Task.Run(() => run.ExecuteAsync(cancel.Token));
        await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'") == 1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TimeSpan.FromSeconds(30)));
        await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'") == 0);
    }

    [PostgresFact]
    public async Task A_load_resumed_after_a_failure_loads_every_row_once()
    {
        var checkpoints = Pipeline.Core.Steps.StepCheckpoints.InMemory();
        var first = Write("append").With("batch_size", "100");
        first.Input("extract", BrokenAfter(Rows.OrderBatches(1, 1000, 50), 430));
        first.Checkpoints = checkpoints;
        await Assert.ThrowsAsync<IOException>(() => first.ExecuteAsync());
        Assert.Equal(400L, await CountAsync());

        var resumed = Write("append", Rows.OrderBatches(1, 1000, 50).ToArray()).With("batch_size", "100");
        resumed.Checkpoints = checkpoints;
        await resumed.ExecuteAsync();

        Assert.Equal(1000L, await CountAsync());
        Assert.Equal(1000L, await CountAsync("SELECT count(DISTINCT id) FROM orders"));
        Assert.Equal(400L, resumed.Result("rows_skipped"));
    }

    [PostgresFact]
    public async Task The_sql_step_result_loads_into_postgresql()
    {
        var query = await new SqlStepRun(new SqlQueryStep(), _dir.Path)
            .With("query", "SELECT customer, count(*) AS n, sum(amount) AS total FROM orders GROUP BY customer ORDER BY customer")
            .Input("orders", Rows.OrderBatches(1, 700).ToArray())
            .ExecuteAsync();

        await Write("replace", query.Output.Batches.ToArray()).With("table", "totals").ExecuteAsync();

        Assert.Equal(7L, await CountAsync("SELECT count(*) FROM totals"));
        Assert.Equal(700L, await CountAsync("SELECT sum(n) FROM totals"));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("The condition did not hold within 30 s.");
            await Task.Delay(20);
        }
    }

    private static async IAsyncEnumerable<RecordBatch> BrokenAfter(IEnumerable<RecordBatch> batches, int rows)
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
}
