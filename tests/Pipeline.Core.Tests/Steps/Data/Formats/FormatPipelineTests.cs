using Pipeline.Core.Execution;
using Pipeline.Core.State;
using Pipeline.Core.Steps;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Steps.Data.Formats;

/// <summary>Format steps in real pipelines run by <see cref="PipelineExecutor"/>: YAML in, files out.</summary>
public sealed class FormatPipelineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_csv_is_read_and_written_as_json_lines_and_csv_with_bad_rows_on_the_rejected_output()
    {
        _dir.Write("in/orders.csv", "id,country,amount\n1,DE,10.5\n2,FR,x\n3,DE\n4,US,7\n");
        var registry = StepTypeRegistry.CreateDefault();
        var definition = Yaml("""
            pipeline_id: formats
            steps:
              - id: read
                type: csv.read
                with: { path: in/orders.csv, schema: { amount: decimal }, on_error: reject }
              - { id: json, type: json.write, input: read, with: { path: out/orders.jsonl } }
              - { id: csv, type: csv.write, input: read, with: { path: out/orders.csv.gz } }
              - { id: bad, type: csv.write, input: read.rejected, with: { path: out/rejected.csv } }
            """, registry, _dir["pipeline.yml"]);

        var result = await new PipelineExecutor(registry).RunAsync(new RunRequest { Definition = definition, Parallel = true, WorkingDirectory = _dir.Path });

        Assert.True(result.Status == RunStatus.Succeeded, result.Error);
        Assert.Equal(
            ["{\"id\":1,\"country\":\"DE\",\"amount\":10.5}", "{\"id\":4,\"country\":\"US\",\"amount\":7}"],
            File.ReadAllLines(_dir["out/orders.jsonl"]));
        var rejected = File.ReadAllLines(_dir["out/rejected.csv"]);
        Assert.Equal(3, rejected.Length);
        // Rows that fail while types are still being inferred are reported when the sample is converted, so the order may differ.
        Assert.Contains(rejected, l => l.EndsWith(",3,3 (amount),'x' is not a number,\"2,FR,x\"", StringComparison.Ordinal));
        Assert.Contains(rejected, l => l.EndsWith(",4,,\"the row has 2 fields, but there are 3 columns\",\"3,DE\"", StringComparison.Ordinal));
        Assert.Equal(2L, result.Steps.Single(s => s.StepId == "read").Outputs["rejected"]);
        Assert.True(File.Exists(_dir["out/orders.csv.gz"]));
    }

    [Fact]
    public async Task A_failing_read_leaves_no_output_file_under_its_name()
    {
        _dir.Write("in/orders.csv", "id,amount\n1,10\n2,\"open\n");
        var registry = StepTypeRegistry.CreateDefault();
        var definition = Yaml("""
            pipeline_id: formats
            steps:
              - { id: read, type: csv.read, with: { path: in/orders.csv } }
              - { id: write, type: csv.write, input: read, with: { path: out/orders.csv } }
            """, registry, _dir["pipeline.yml"]);

        var result = await new PipelineExecutor(registry).RunAsync(new RunRequest { Definition = definition, Parallel = true, WorkingDirectory = _dir.Path });

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("line 3, column 2 (amount), character 3: the quoted field is never closed", result.Error);
        Assert.False(File.Exists(_dir["out/orders.csv"]));
    }
}
