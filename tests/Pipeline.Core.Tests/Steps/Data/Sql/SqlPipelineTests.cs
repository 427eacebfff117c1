using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Steps;
using Pipeline.Core.Templates;

namespace Pipeline.Core.Tests.Steps.Data.Sql;

/// <summary>The SQL steps run by the engine from a definition: templates in queries reach them as parameters.</summary>
public sealed class SqlPipelineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public SqlPipelineTests()
    {
        SqliteFile.Execute(_dir["source.db"], "CREATE TABLE src (id INTEGER, name TEXT); INSERT INTO src VALUES (1, 'a'), (2, 'b'), (3, 'c');");
    }

    public void Dispose() => _dir.Dispose();

    private async Task<RunResult> RunAsync(string who)
    {
        var registry = StepTypeRegistry.CreateDefault();
        var definition = DefinitionLoader.LoadText("""
            pipeline_id: sql-templates
            steps:
              - id: pick
                type: sql.read
                with:
                  connection: "sqlite:source.db"
                  query: "SELECT count(*) AS n, {who} AS asked FROM src WHERE name = {who} OR name = {secret:SOURCE_NAME}"
              - id: total
                type: sql
                input: pick
                with: { query: "SELECT n + {extra} AS n, asked FROM pick" }
              - id: save
                type: sql.write
                input: total
                with: { connection: "sqlite:target.db", table: picked }
            """, registry, _dir["sql.yml"], callerVariables: ["who", "extra"]);
        return await new PipelineExecutor(registry).RunAsync(new RunRequest
        {
            Definition = definition,
            Variables = new Dictionary<string, string> { ["who"] = who, ["extra"] = "10" },
            Secrets = new SecretStore(new Dictionary<string, string> { ["SOURCE_NAME"] = "c" }),
        });
    }

    [Fact]
    public async Task Template_values_in_queries_reach_the_database_as_parameters()
    {
        var result = await RunAsync("b");

        Assert.True(result.Succeeded, string.Join("; ", result.Steps.Select(s => $"{s.StepId}: {s.Error}")));
        Assert.Equal(12L, SqliteFile.Scalar(_dir["target.db"], "SELECT n FROM picked"));
        Assert.Equal("b", SqliteFile.Scalar(_dir["target.db"], "SELECT asked FROM picked"));
    }

    [Fact]
    public async Task A_value_that_looks_like_sql_stays_a_value()
    {
        var result = await RunAsync("x' OR '1'='1");

        Assert.True(result.Succeeded, string.Join("; ", result.Steps.Select(s => $"{s.StepId}: {s.Error}")));
        Assert.Equal(11L, SqliteFile.Scalar(_dir["target.db"], "SELECT n FROM picked"));
        Assert.Equal("x' OR '1'='1", SqliteFile.Scalar(_dir["target.db"], "SELECT asked FROM picked"));
    }
}
