namespace Pipeline.Core.Observability;

/// <summary>Severity of a log message from a step or the engine.</summary>
public enum LogLevel
{
    /// <summary>Detail for troubleshooting (Write-Verbose, --verbose).</summary>
    Verbose,
    /// <summary>Normal information.</summary>
    Information,
    /// <summary>Something worth a look (Write-Warning).</summary>
    Warning,
    /// <summary>A failure.</summary>
    Error,
}
