namespace Pipeline.Cli.Tests.Support;

/// <summary>Signal numbers (the same on Linux and macOS for these two).</summary>
internal static class Signals
{
    public const int Interrupt = 2;
    public const int Terminate = 15;
}
