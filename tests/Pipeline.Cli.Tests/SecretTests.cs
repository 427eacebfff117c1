using Pipeline.Cli.Tests.Support;

namespace Pipeline.Cli.Tests;

public sealed class SecretTests : IDisposable
{
    private const string Token = "tok-5c1e0b7a9d3f";
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Secrets_from_a_secrets_file_never_reach_the_terminal_the_event_log_or_the_history()
    {
        _workspace.Write("secrets.env", $"# test secrets\nAPI_TOKEN={Token}\n");
        // The secret goes through a variable, a log message, a program's arguments, its stdout and stderr, and its
        // failure message.
        _workspace.Write("secret.yml", """
            pipeline_id: secret
            variables:
              auth: "Bearer {secret:API_TOKEN}"
            steps:
              - id: announce
                type: log
                with: { message: "calling with {secret:API_TOKEN}" }
              - id: call
                type: process.run
                depends_on: [announce]
                with:
                  executable: sh
                  arguments: [-c, 'echo "token=$1"; echo "auth=$2" >&2; exit 7', sh, "{secret:API_TOKEN}", "{auth}"]
            """);

        var result = await _workspace.RunAsync("run", "secret.yml", "--secrets-file", "secrets.env", "--log", "events.jsonl", "--verbose", "--var", "note=x");
        var runId = CliProcess.RunIdOf(result.Stdout);
        var show = await _workspace.RunAsync("runs", "show", runId);
        var runs = await _workspace.RunAsync("runs");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("announce: calling with ***", result.Stdout);
        Assert.Contains("auth=Bearer ***", result.Stdout);
        var log = File.ReadAllText(_workspace.Path("events.jsonl"));
        Assert.Contains("calling with ***", log);
        foreach (var text in new[] { result.Stdout, result.Stderr, log, show.Everything, runs.Everything })
            Assert.DoesNotContain(Token, text);
    }
}
