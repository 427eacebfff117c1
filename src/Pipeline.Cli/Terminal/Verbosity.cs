namespace Pipeline.Cli.Terminal;

/// <summary>How much the command prints while a run goes.</summary>
internal enum Verbosity
{
    /// <summary>Only failures and the result line (--quiet).</summary>
    Quiet,
    /// <summary>A line per step decision, step messages, and the summary table.</summary>
    Normal,
    /// <summary>Everything, with step output lines, the plan and stack traces of errors (--verbose).</summary>
    Verbose,
}
