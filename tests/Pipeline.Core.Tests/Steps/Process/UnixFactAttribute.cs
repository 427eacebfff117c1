namespace Pipeline.Core.Tests.Steps.Process;

/// <summary>A test that runs real Unix programs (sh, sleep, cat); skipped on Windows, where they do not exist.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
            Skip = "Runs sh and other Unix programs.";
    }
}
