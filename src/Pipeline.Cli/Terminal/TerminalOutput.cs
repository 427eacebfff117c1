using System.Text;

namespace Pipeline.Cli.Terminal;

/// <summary>
/// Where the command writes: results and progress to standard output, problems to standard error, each coloured
/// only when it is a terminal that wants colour.
/// </summary>
internal sealed class TerminalOutput
{
    public TerminalOutput(TextWriter output, TextWriter error, bool outputColor, bool errorColor, bool unicode, Verbosity verbosity)
    {
        Out = output;
        Error = error;
        OutputColor = outputColor;
        ErrorColor = errorColor;
        Unicode = unicode;
        Verbosity = verbosity;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public bool OutputColor { get; }

    public bool ErrorColor { get; }

    /// <summary>Whether the output encoding can show symbols such as ✓ (otherwise ASCII stands in).</summary>
    public bool Unicode { get; }

    public Verbosity Verbosity { get; }

    /// <summary>The console, with colours when the stream is a terminal, <c>--no-color</c> was not given, the
    /// <c>NO_COLOR</c> environment variable is unset or empty (https://no-color.org) and TERM is not "dumb".</summary>
    public static TerminalOutput ForConsole(bool noColor, Verbosity verbosity)
    {
        var wanted = !noColor
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
            && Environment.GetEnvironmentVariable("TERM") != "dumb";
        var unicode = Console.OutputEncoding.CodePage == Encoding.UTF8.CodePage;
        return new TerminalOutput(Console.Out, Console.Error, wanted && !Console.IsOutputRedirected, wanted && !Console.IsErrorRedirected, unicode, verbosity);
    }

    public string Paint(string text, Style style, bool color) => !color || style == Style.Plain ? text : $"\u001b[{Code(style)}m{text}\u001b[0m";

    public void WriteLine(string text, Style style = Style.Plain) => Out.WriteLine(Paint(text, style, OutputColor));

    /// <summary>Writes a problem to standard error as <c>pipeline: message</c>.</summary>
    public void WriteError(string message) => Error.WriteLine(Paint("pipeline: " + message, Style.Error, ErrorColor));

    /// <summary>Writes a hint (what to do next) to standard error.</summary>
    public void WriteHint(string message) => Error.WriteLine(Paint(message, Style.Dim, ErrorColor));

    /// <summary>Writes an unexpected error: its message, and its stack trace only with --verbose.</summary>
    public void WriteException(Exception exception)
    {
        WriteError(exception.Message);
        if (Verbosity == Verbosity.Verbose) Error.WriteLine(exception.ToString());
        else WriteHint("Run again with --verbose for the details.");
    }

    private static string Code(Style style) => style switch
    {
        Style.Dim => "2",
        Style.Bold => "1",
        Style.Success => "32",
        Style.Warning => "33",
        Style.Error => "31",
        _ => "0",
    };
}
