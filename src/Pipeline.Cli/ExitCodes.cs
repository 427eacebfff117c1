namespace Pipeline.Cli;

/// <summary>What the pipeline command's exit code means; docs/cli.md and <c>pipeline --help</c> list the same.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked; a run succeeded.</summary>
    public const int Success = 0;

    /// <summary>The run failed (a step failed), or an unexpected error stopped the command.</summary>
    public const int RunFailed = 1;

    /// <summary>The command line is wrong: unknown command or option, a missing or bad value.</summary>
    public const int Usage = 2;

    /// <summary>The definition is invalid; nothing ran and no run was recorded.</summary>
    public const int InvalidDefinition = 3;

    /// <summary>Another run of the pipeline holds every slot (its run id is printed); nothing ran.</summary>
    public const int AlreadyRunning = 4;

    /// <summary>The run was cancelled (Ctrl+C, SIGINT, SIGTERM): running steps were stopped, rollbacks ran, the run is
    /// recorded as cancelled.</summary>
    public const int Cancelled = 5;

    /// <summary>The run named by <c>--resume</c> or <c>runs show</c> is not in the run store.</summary>
    public const int RunNotFound = 6;

    /// <summary>A second Ctrl+C: the command exited at once, without waiting for rollbacks or recording the end.</summary>
    public const int Interrupted = 130;

    /// <summary>Every code with its meaning, for help.</summary>
    public static readonly IReadOnlyList<(int Code, string Meaning)> All =
    [
        (Success, "success"),
        (RunFailed, "the run failed (or an unexpected error)"),
        (Usage, "usage error: unknown command or option, bad value"),
        (InvalidDefinition, "invalid definition: nothing ran"),
        (AlreadyRunning, "already running: another run holds the pipeline's lock"),
        (Cancelled, "cancelled (Ctrl+C, SIGTERM): rollbacks ran, run recorded as cancelled"),
        (RunNotFound, "the run to resume or show does not exist"),
        (Interrupted, "a second Ctrl+C: exited at once, without cleaning up"),
    ];
}
