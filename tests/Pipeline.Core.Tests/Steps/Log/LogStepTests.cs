using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Steps.Log;

namespace Pipeline.Core.Tests.Steps.Log;

public sealed class LogStepTests
{
    private static StepRun Log(string? message) => new StepRun(new LogStep(), Path.GetTempPath()).With("message", message);

    [Fact]
    public async Task The_message_is_written_at_information_by_default()
    {
        var run = await Log("Loaded 42 rows for 2026-11-21").ExecuteAsync();

        Assert.Equal([(LogLevel.Information, "Loaded 42 rows for 2026-11-21")], run.Log);
    }

    [Theory]
    [InlineData("verbose", LogLevel.Verbose)]
    [InlineData("Warning", LogLevel.Warning)]
    [InlineData("error", LogLevel.Error)]
    [InlineData("information", LogLevel.Information)]
    public async Task The_level_is_chosen_by_name(string level, LogLevel expected)
    {
        var run = await Log("m").With("level", level).ExecuteAsync();

        Assert.Equal(expected, run.Log.Single().Level);
    }

    [Fact]
    public async Task An_unknown_level_and_a_missing_message_are_configuration_errors()
    {
        var level = await Log("m").With("level", "debug").FailsAsync(ErrorKind.Configuration);
        Assert.Contains("information, verbose, warning, error", level.Message);

        var message = await Log(null).FailsAsync(ErrorKind.Configuration);
        Assert.Contains("message", message.Message);
    }
}
