namespace Pipeline.Cli.Terminal;

/// <summary>The few looks a line can have; each maps to an ANSI colour when colours are on.</summary>
internal enum Style
{
    Plain,
    Dim,
    Bold,
    Success,
    Warning,
    Error,
}
