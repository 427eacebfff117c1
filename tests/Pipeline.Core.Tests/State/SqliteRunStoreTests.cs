using Microsoft.Data.Sqlite;
using Pipeline.Core.State;
using Pipeline.Core.Tests.Support;

namespace Pipeline.Core.Tests.State;

public sealed class SqliteRunStoreTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private readonly TempStoreDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private SqliteRunStore OpenStore(TimeProvider? time = null) => new(_directory.DatabasePath, time ?? new ManualTimeProvider(Noon));

    private static RunRecord Run(string runId, string pipelineId = "nightly", DateTimeOffset? startedAt = null) => new()
    {
        RunId = runId,
        PipelineId = pipelineId,
        StartedAt = startedAt ?? Noon,
    };

    [Fact]
    public async Task Started_run_reads_back_with_every_field_and_status_running()
    {
        await using var store = OpenStore();
        var started = new RunRecord
        {
            RunId = "r1",
            PipelineId = "nightly",
            Status = RunStatus.Pending,
            StartedAt = new DateTimeOffset(2026, 11, 21, 13, 14, 15, TimeSpan.FromHours(2)).AddTicks(1234567),
            Variables = new Dictionary<string, string> { ["date"] = "2026-11-21", ["quote"] = "a \"b\" ü" },
            DefinitionPath = "/etc/pipelines/nightly.yml",
            DefinitionText = "steps:\n  - id: extract\n",
            ResumedFrom = "r0",
            Host = "builder-7",
            ProcessId = 4242,
        };

        await store.StartRunAsync(started);
        var read = await store.GetRunAsync("r1");

        Assert.NotNull(read);
        Assert.Equal(RunStatus.Running, read.Status);
        Assert.Equal(started.StartedAt, read.StartedAt);
        Assert.Equal(TimeSpan.Zero, read.StartedAt.Offset);
        Assert.Null(read.EndedAt);
        Assert.Null(read.Error);
        Assert.Equal(started.Variables.OrderBy(v => v.Key), read.Variables.OrderBy(v => v.Key));
        Assert.Equal(started with { Status = RunStatus.Running, Variables = read.Variables }, read);
    }

    [Fact]
    public async Task Unknown_run_reads_as_null()
    {
        await using var store = OpenStore();

        Assert.Null(await store.GetRunAsync("nope"));
    }

    [Fact]
    public async Task Starting_a_run_twice_is_refused_naming_the_run()
    {
        await using var store = OpenStore();
        await store.StartRunAsync(Run("r1"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.StartRunAsync(Run("r1")));

        Assert.Contains("'r1' is already recorded", error.Message);
    }

    [Fact]
    public async Task Finished_run_keeps_its_status_end_and_error()
    {
        await using var store = OpenStore();
        await store.StartRunAsync(Run("r1"));

        await store.FinishRunAsync("r1", RunStatus.Failed, Noon.AddMinutes(5), "step 'load' failed: disk full");
        var read = await store.GetRunAsync("r1");

        Assert.Equal(RunStatus.Failed, read!.Status);
        Assert.Equal(Noon.AddMinutes(5), read.EndedAt);
        Assert.Equal("step 'load' failed: disk full", read.Error);
    }

    [Fact]
    public async Task Finishing_an_unknown_run_is_refused_naming_it()
    {
        await using var store = OpenStore();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => store.FinishRunAsync("ghost", RunStatus.Succeeded, Noon, null));

        Assert.Contains("Run 'ghost' is not recorded", error.Message);
    }

    [Fact]
    public async Task Attempt_reads_back_with_every_field()
    {
        await using var store = OpenStore();
        await store.StartRunAsync(Run("r1"));
        var attempt = new StepAttemptRecord
        {
            RunId = "r1",
            StepId = "load",
            Attempt = 2,
            Status = RunStatus.Failed,
            StartedAt = Noon.AddSeconds(1).AddTicks(7),
            EndedAt = Noon.AddSeconds(3),
            ErrorKind = "transient",
            ErrorMessage = "connection reset",
            Rows = 10_000_000_000,
            Bytes = 5_000_000_000,
            MetricsJson = """{"files":3}""",
            IsRollback = false,
        };

        await store.RecordAttemptAsync(attempt);
        var read = Assert.Single(await store.GetAttemptsAsync("r1"));

        Assert.Equal(attempt, read);
        Assert.Equal(TimeSpan.FromSeconds(2) - TimeSpan.FromTicks(7), read.Duration);
    }

    [Fact]
    public async Task Attempts_are_upserted_by_run_step_attempt_and_rollback_flag()
    {
        await using var store = OpenStore();
        await store.StartRunAsync(Run("r1"));
        var running = new StepAttemptRecord { RunId = "r1", StepId = "load", Attempt = 1, Status = RunStatus.Running, StartedAt = Noon };

        await store.RecordAttemptAsync(running);
        await store.RecordAttemptAsync(running with { IsRollback = true, StartedAt = Noon.AddSeconds(9) });
        await store.RecordAttemptAsync(running with { Status = RunStatus.Succeeded, EndedAt = Noon.AddSeconds(4), Rows = 12 });
        var attempts = await store.GetAttemptsAsync("r1");

        Assert.Equal(2, attempts.Count);
        Assert.Equal(running with { Status = RunStatus.Succeeded, EndedAt = Noon.AddSeconds(4), Rows = 12 }, attempts[0]);
        Assert.True(attempts[1].IsRollback);
        Assert.Equal(RunStatus.Running, attempts[1].Status);
    }

    [Fact]
    public async Task Attempts_come_back_in_the_order_they_started()
    {
        await using var store = OpenStore();
        await store.StartRunAsync(Run("r1"));
        await store.StartRunAsync(Run("other"));
        await store.RecordAttemptAsync(new StepAttemptRecord { RunId = "r1", StepId = "c", Attempt = 1, StartedAt = Noon.AddSeconds(3) });
        await store.RecordAttemptAsync(new StepAttemptRecord { RunId = "r1", StepId = "a", Attempt = 1, StartedAt = Noon.AddSeconds(1) });
        await store.RecordAttemptAsync(new StepAttemptRecord { RunId = "r1", StepId = "b", Attempt = 1, StartedAt = Noon.AddSeconds(2) });
        await store.RecordAttemptAsync(new StepAttemptRecord { RunId = "r1", StepId = "b2", Attempt = 1, StartedAt = Noon.AddSeconds(2) });
        await store.RecordAttemptAsync(new StepAttemptRecord { RunId = "other", StepId = "x", Attempt = 1, StartedAt = Noon });

        var attempts = await store.GetAttemptsAsync("r1");

        Assert.Equal(["a", "b", "b2", "c"], attempts.Select(a => a.StepId));
        Assert.Empty(await store.GetAttemptsAsync("nope"));
    }

    [Fact]
    public async Task Attempt_of_an_unknown_run_is_refused_naming_run_and_step()
    {
        await using var store = OpenStore();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.RecordAttemptAsync(
            new StepAttemptRecord { RunId = "ghost", StepId = "load", Attempt = 1, StartedAt = Noon }));

        Assert.Contains("Run 'ghost' is not recorded", error.Message);
        Assert.Contains("step 'load'", error.Message);
    }

    [Fact]
    public async Task A_refused_batch_writes_none_of_its_attempts_and_the_store_records_the_next_batch()
    {
        await using var store = OpenStore();
        await store.StartRunAsync(Run("r1"));
        await store.RecordAttemptsAsync([new StepAttemptRecord { RunId = "r1", StepId = "a", Attempt = 1, StartedAt = Noon }]);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.RecordAttemptsAsync(
        [
            new StepAttemptRecord { RunId = "r1", StepId = "b", Attempt = 1, StartedAt = Noon.AddSeconds(1) },
            new StepAttemptRecord { RunId = "ghost", StepId = "c", Attempt = 1, StartedAt = Noon.AddSeconds(2) },
        ]));
        await store.RecordAttemptsAsync(
        [
            new StepAttemptRecord { RunId = "r1", StepId = "d", Attempt = 1, StartedAt = Noon.AddSeconds(3) },
            new StepAttemptRecord { RunId = "r1", StepId = "e", Attempt = 1, StartedAt = Noon.AddSeconds(4) },
        ]);

        Assert.Contains("step 'c'", error.Message);
        Assert.Equal(["a", "d", "e"], (await store.GetAttemptsAsync("r1")).Select(a => a.StepId));
    }

    [Fact]
    public async Task Recording_after_the_store_is_disposed_is_refused()
    {
        var store = OpenStore();
        await store.StartRunAsync(Run("r1"));
        await store.RecordAttemptAsync(new StepAttemptRecord { RunId = "r1", StepId = "a", Attempt = 1, StartedAt = Noon });
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.RecordAttemptAsync(
            new StepAttemptRecord { RunId = "r1", StepId = "b", Attempt = 1, StartedAt = Noon }));
        await using var reopened = OpenStore();
        Assert.Equal(["a"], (await reopened.GetAttemptsAsync("r1")).Select(a => a.StepId));
    }

    [Fact]
    public async Task Runs_are_listed_newest_first_and_filtered_by_pipeline_status_and_start()
    {
        await using var store = OpenStore();
        await store.StartRunAsync(Run("n1", "nightly", Noon.AddHours(1)));
        await store.StartRunAsync(Run("n2", "nightly", Noon.AddHours(2)));
        await store.StartRunAsync(Run("n3", "nightly", Noon.AddHours(3)));
        await store.StartRunAsync(Run("h1", "hourly", Noon.AddHours(4)));
        await store.FinishRunAsync("n2", RunStatus.Failed, Noon.AddHours(2.5), "boom");

        Assert.Equal(["h1", "n3", "n2", "n1"], await RunIds(new RunQuery()));
        Assert.Equal(["n3", "n2", "n1"], await RunIds(new RunQuery { PipelineId = "nightly" }));
        Assert.Equal(["n2"], await RunIds(new RunQuery { Status = RunStatus.Failed }));
        Assert.Equal(["n3", "n2"], await RunIds(new RunQuery { PipelineId = "nightly", Since = Noon.AddHours(2) }));
        Assert.Equal(["h1", "n3"], await RunIds(new RunQuery { Limit = 2 }));
        Assert.Equal(["n3"], await RunIds(new RunQuery { PipelineId = "nightly", Status = RunStatus.Running, Since = Noon.AddHours(1.5) }));
        Assert.Empty(await RunIds(new RunQuery { PipelineId = "weekly" }));

        async Task<IEnumerable<string>> RunIds(RunQuery query) => (await store.GetRunsAsync(query)).Select(r => r.RunId);
    }

    [Fact]
    public async Task Since_compares_instants_whatever_the_offset()
    {
        await using var store = OpenStore();
        await store.StartRunAsync(Run("r1", startedAt: new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero)));

        var since = new DateTimeOffset(2026, 11, 21, 13, 0, 0, TimeSpan.FromHours(2)); // 11:00 UTC
        var runs = await store.GetRunsAsync(new RunQuery { Since = since });

        Assert.Equal("r1", Assert.Single(runs).RunId);
    }

    [Fact]
    public async Task Query_without_a_positive_limit_is_refused()
    {
        await using var store = OpenStore();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetRunsAsync(new RunQuery { Limit = 0 }));
    }

    [Fact]
    public async Task Checkpoint_replaces_the_earlier_value_of_the_same_run_step_and_key()
    {
        await using var store = OpenStore();
        await store.StartRunAsync(Run("r1"));
        await store.StartRunAsync(Run("r2"));

        await store.SaveCheckpointAsync("r1", "load", "batch", "4");
        await store.SaveCheckpointAsync("r1", "load", "batch", "5");
        await store.SaveCheckpointAsync("r1", "load", "file", "orders.csv");
        await store.SaveCheckpointAsync("r1", "extract", "batch", "9");
        await store.SaveCheckpointAsync("r2", "load", "batch", "1");

        Assert.Equal("5", await store.GetCheckpointAsync("r1", "load", "batch"));
        Assert.Equal("orders.csv", await store.GetCheckpointAsync("r1", "load", "file"));
        Assert.Equal("9", await store.GetCheckpointAsync("r1", "extract", "batch"));
        Assert.Equal("1", await store.GetCheckpointAsync("r2", "load", "batch"));
        Assert.Null(await store.GetCheckpointAsync("r1", "load", "offset"));
    }

    [Fact]
    public async Task Checkpoint_of_an_unknown_run_is_refused_naming_it()
    {
        await using var store = OpenStore();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => store.SaveCheckpointAsync("ghost", "load", "batch", "1"));

        Assert.Contains("Run 'ghost' is not recorded", error.Message);
    }

    [Fact]
    public async Task Watermark_replaces_the_earlier_value_and_is_kept_per_pipeline()
    {
        await using var store = OpenStore();

        await store.SetWatermarkAsync("nightly", "last_order", "2026-11-20T23:59:59Z");
        await store.SetWatermarkAsync("nightly", "last_order", "2026-11-21T23:59:59Z");
        await store.SetWatermarkAsync("hourly", "last_order", "7");

        Assert.Equal("2026-11-21T23:59:59Z", await store.GetWatermarkAsync("nightly", "last_order"));
        Assert.Equal("7", await store.GetWatermarkAsync("hourly", "last_order"));
        Assert.Null(await store.GetWatermarkAsync("nightly", "other"));
    }

    [Fact]
    public async Task Everything_is_kept_in_the_file_across_store_instances()
    {
        await using (var first = OpenStore())
        {
            await first.StartRunAsync(Run("r1"));
            await first.RecordAttemptAsync(new StepAttemptRecord { RunId = "r1", StepId = "load", Attempt = 1, StartedAt = Noon });
            await first.SaveCheckpointAsync("r1", "load", "batch", "3");
            await first.SetWatermarkAsync("nightly", "last", "x");
            await first.FinishRunAsync("r1", RunStatus.Succeeded, Noon.AddMinutes(1), null);
        }

        await using var second = OpenStore();

        Assert.Equal(RunStatus.Succeeded, (await second.GetRunAsync("r1"))!.Status);
        Assert.Single(await second.GetAttemptsAsync("r1"));
        Assert.Equal("3", await second.GetCheckpointAsync("r1", "load", "batch"));
        Assert.Equal("x", await second.GetWatermarkAsync("nightly", "last"));
    }

    [Fact]
    public async Task New_database_is_in_wal_mode_at_the_current_schema_version()
    {
        await using (OpenStore())
        {
        }

        using var connection = new SqliteConnection($"Data Source={_directory.DatabasePath};Pooling=False");
        connection.Open();
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode"));
        Assert.Equal(1L, Scalar(connection, "SELECT max(version) FROM schema_version"));
        Assert.Equal(1L, Scalar(connection, "SELECT count(*) FROM schema_version"));
    }

    [Fact]
    public async Task Reopening_does_not_apply_migrations_again()
    {
        await using (OpenStore())
        {
        }
        await using (OpenStore())
        {
        }

        using var connection = new SqliteConnection($"Data Source={_directory.DatabasePath};Pooling=False");
        connection.Open();
        Assert.Equal(1L, Scalar(connection, "SELECT count(*) FROM schema_version"));
    }

    [Fact]
    public async Task Database_of_a_newer_schema_is_refused_naming_both_versions()
    {
        await using (OpenStore())
        {
        }
        using (var connection = new SqliteConnection($"Data Source={_directory.DatabasePath};Pooling=False"))
        {
            connection.Open();
            Scalar(connection, "INSERT INTO schema_version (version, applied_at) VALUES (99, '2030-01-01T00:00:00.0000000Z')");
        }

        var error = Assert.Throws<InvalidOperationException>(() => OpenStore());

        Assert.Contains("schema version 99", error.Message);
        Assert.Contains("knows (1)", error.Message);
        Assert.Contains(_directory.DatabasePath, error.Message);
    }

    [Fact]
    public void File_that_is_not_a_database_is_refused_naming_it()
    {
        File.WriteAllText(_directory.DatabasePath, "this is a text file, not a database, and it is long enough to matter.");

        var error = Assert.Throws<InvalidOperationException>(() => OpenStore());

        Assert.Contains($"Cannot open the run store '{_directory.DatabasePath}'", error.Message);
    }

    [Fact]
    public async Task Missing_directories_of_the_database_path_are_created()
    {
        var path = Path.Combine(_directory.Path, "a", "b", "runs.db");

        await using (new SqliteRunStore(path))
        {
        }

        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Heartbeat_timeout_not_longer_than_the_interval_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SqliteRunStore(
            _directory.DatabasePath, heartbeatInterval: TimeSpan.FromSeconds(10), heartbeatTimeout: TimeSpan.FromSeconds(10)));

        Assert.Equal("heartbeatTimeout", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqliteRunStore(_directory.DatabasePath, heartbeatInterval: TimeSpan.Zero));
    }

    [Fact]
    public async Task Disposed_store_refuses_further_use()
    {
        var store = OpenStore();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetRunAsync("r1"));
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
