using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.State;
using Pipeline.Core.Tests.Support;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>Every problem of a definition is reported at once, in the order of the text; nothing runs and no run
/// is recorded.</summary>
public sealed class AllAtOnceTests
{
    private const string Broken = """
        pipeline_id: nightly
        on_failure: abort
        variables:
          target: "/data/{dat}"
        steps:
          - id: extract
            type: file.cpy
            timeout: 5 minutes
          - id: load
            type: log
            depends_on: [extrat]
            with: { message: "to {target}", colour: red }
            retry: { max_attempts: 0 }
          - id: a
            type: log
            depends_on: [b]
            with: { message: hi }
          - id: b
            type: log
            depends_on: [a]
            trigger: all_doen
            with: { message: hi }
        """;

    [Fact]
    public void Every_problem_is_reported_at_once_in_the_order_of_the_text()
    {
        var errors = Problems.Of(Broken);
        Assert.Equal(
        [
            ("bad-value", 2, 13),
            ("unresolved-template", 4, 11),
            ("unknown-type", 7, 11),
            ("bad-duration", 8, 14),
            ("unknown-dependency", 11, 18),
            ("unknown-option", 12, 37),
            ("wrong-type", 13, 28),
            ("cycle", 16, 18),
            ("bad-value", 21, 14),
        ], errors.Select(e => (e.Code, e.Location!.Line, e.Location.Column)));
        Assert.Contains("did you mean 'date'?", errors[1].Message);
        Assert.Contains("did you mean 'file.copy'?", errors[2].Message);
        Assert.Contains("did you mean 'extract'?", errors[4].Message);
        Assert.Contains("a -> b -> a", errors[7].Message);
        Assert.Contains("did you mean 'all_done'?", errors[8].Message);

        var message = new DefinitionException(errors).Message;
        Assert.StartsWith("The pipeline definition has 9 problems:", message);
        Assert.Contains("pipeline.yml:7:11: Step 'extract' has the unknown type 'file.cpy'", message);
    }

    [Fact]
    public async Task Nothing_runs_and_no_run_is_recorded_for_an_invalid_definition()
    {
        using var directory = new TempDirectory();
        await using var store = new SqliteRunStore(Path.Combine(directory.Path, "runs.db"));
        var test = new TestStep();
        var registry = Pipelines.Registry(test);
        // Parsed but not validated, as a host that builds definitions could pass it.
        var definition = PipelineYaml.Parse(Broken.Replace("type: log", "type: test.step").Replace("message", "value"), "pipeline.yml").Definition!;
        var events = new Pipelines.EventLog();

        var ex = await Assert.ThrowsAsync<DefinitionException>(() =>
            new PipelineExecutor(registry).RunAsync(new RunRequest { Definition = definition, Store = store }, events));

        // Those a parsed definition still holds: the others were reported by the parser, which this host ignored.
        Assert.Equal(["unresolved-template", "unknown-type", "unknown-dependency", "unknown-option", "cycle"], ex.Errors.Select(e => e.Code));
        Assert.Empty(test.Journal);
        Assert.Empty(events.Events);
        Assert.Empty(await store.GetRunsAsync(new RunQuery { Limit = 100 }));
        // The pipeline was not locked either: a valid run of it starts at once.
        await using var runLock = await store.AcquireLockAsync("nightly", "probe", 1);
    }

    [Fact]
    public void Planning_an_invalid_definition_reports_every_problem_it_holds()
    {
        var definition = PipelineYaml.Parse(Broken, "pipeline.yml").Definition!;
        var ex = Assert.Throws<DefinitionException>(() => new PipelineExecutor(Problems.Registry()).Plan(definition));
        Assert.Equal(["unresolved-template", "unknown-type", "unknown-dependency", "unknown-option", "cycle"], ex.Errors.Select(e => e.Code));
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("pipeline-invalid-").FullName;

        public void Dispose()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Path, recursive: true);
        }
    }
}
