namespace Pipeline.Cli.Tests.Support;

/// <summary>What a finished run of the command left: its exit code and everything it printed.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string Everything => Stdout + Stderr;

    public override string ToString() => $"exit code {ExitCode}{Environment.NewLine}--- stdout ---{Environment.NewLine}{Stdout}--- stderr ---{Environment.NewLine}{Stderr}";
}
