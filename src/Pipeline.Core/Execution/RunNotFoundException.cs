namespace Pipeline.Core.Execution;

/// <summary>A run to resume is not in the run store. Hosts tell it apart from other refusals to resume (it
/// derives from <see cref="ArgumentException"/>, which they also are) to give it its own exit code.</summary>
public sealed class RunNotFoundException : ArgumentException
{
    /// <summary>Creates the exception for a run id.</summary>
    public RunNotFoundException(string runId)
        : base($"There is no run '{runId}' to resume.")
    {
        RunId = runId;
    }

    /// <summary>The run that was asked for.</summary>
    public string RunId { get; }
}
