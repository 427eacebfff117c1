namespace Pipeline.Core.Execution;

/// <summary>
/// What kind of failure a step attempt met. <c>retry_on</c> in a step's retry policy lists these kinds by their
/// snake_case names (<c>timeout</c>, <c>transient</c>, <c>io</c>, <c>process_exit</c>, ...).
/// </summary>
public enum ErrorKind
{
    /// <summary>Anything not classified below.</summary>
    Unknown,
    /// <summary>The step ran past its timeout.</summary>
    Timeout,
    /// <summary>A failure that may pass when retried: a dropped connection, a busy server, a locked file.</summary>
    Transient,
    /// <summary>A file system or stream failure (not found, disk full, ...).</summary>
    Io,
    /// <summary>A process ended with an exit code the step did not expect.</summary>
    ProcessExit,
    /// <summary>Input data was invalid.</summary>
    Validation,
    /// <summary>Credentials were refused.</summary>
    Authentication,
    /// <summary>Something the step needs does not exist.</summary>
    NotFound,
    /// <summary>Access was denied.</summary>
    Permission,
    /// <summary>The target exists already or is held by someone else.</summary>
    Conflict,
    /// <summary>A remote peer broke its protocol.</summary>
    Protocol,
    /// <summary>The step or run was cancelled.</summary>
    Cancelled,
    /// <summary>A checksum or other integrity check failed.</summary>
    Integrity,
    /// <summary>The step's options or configuration are wrong.</summary>
    Configuration,
    /// <summary>A script-block step threw.</summary>
    Script,
}

/// <summary>Names of <see cref="ErrorKind"/> as written in YAML.</summary>
public static class ErrorKinds
{
    /// <summary>The snake_case name of a kind (<c>process_exit</c>, <c>not_found</c>).</summary>
    public static string ToName(ErrorKind kind) => Definitions.PipelineYaml.SnakeCase(kind);

    /// <summary>Parses a snake_case name (the underscores may be left out: <c>notfound</c>); false when unknown.</summary>
    public static bool TryParse(string name, out ErrorKind kind)
    {
        foreach (var value in Enum.GetValues<ErrorKind>())
        {
            if (string.Equals(ToName(value), name, StringComparison.OrdinalIgnoreCase) ||
                string.Equals(value.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = value;
                return true;
            }
        }
        kind = ErrorKind.Unknown;
        return false;
    }

    /// <summary>Every name, for messages.</summary>
    public static IEnumerable<string> Names => Enum.GetValues<ErrorKind>().Select(ToName);
}

/// <summary>A step failure of a known kind, thrown by step handlers. Its message must not contain secrets
/// (the engine masks known secrets anyway).</summary>
public class StepException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StepException(ErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>The kind of failure; decides whether <c>retry_on</c> retries it.</summary>
    public ErrorKind Kind { get; }
}
