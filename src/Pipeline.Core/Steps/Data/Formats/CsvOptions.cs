using Pipeline.Core.Execution;

namespace Pipeline.Core.Steps.Data.Formats;

/// <summary>The options <c>csv.read</c> and <c>csv.write</c> share.</summary>
internal static class CsvOptions
{
    public static StepOptionInfo Delimiter { get; } = new("delimiter", StepOptionType.String, "The field delimiter: one character, or tab (\\t).") { Default = "," };

    public static StepOptionInfo Quote { get; } = new("quote", StepOptionType.String, "The quote character; empty reads fields without quoting.") { Default = "\"" };

    public static StepOptionInfo Escape { get; } = new("escape", StepOptionType.String, "The character that escapes a quote inside a quoted field; by default the quote itself (\"\" is one quote).");

    public static StepOptionInfo Header { get; } = new("header", StepOptionType.Boolean, "Whether the first line holds the column names.") { Default = "true" };

    public static StepOptionInfo NullValue { get; } = new("null_value", StepOptionType.String, "The text that stands for a null (an empty unquoted field always does).") { Default = "" };

    public static StepOptionInfo Encoding { get; } = new("encoding", StepOptionType.String, "The text encoding; reading honours a byte order mark.") { Default = "utf-8", AllowedValues = Common.TextEncodings.Names };

    /// <summary>A one-character option; <c>\t</c> and <c>tab</c> mean a tab; empty gives '\0' when allowed.</summary>
    public static char GetChar(StepOptions options, string name, char defaultValue, bool allowEmpty = false)
    {
        var text = options.GetString(name);
        if (text is null) return defaultValue;
        if (text is "\\t" or "tab" or "TAB") return '\t';
        if (text.Length == 0 && allowEmpty) return '\0';
        if (text.Length != 1)
            throw new StepException(ErrorKind.Configuration, $"The option '{name}' must be one character, not '{text}'.");
        return text[0];
    }

    /// <summary>Checks that delimiter, quote and escape differ from each other and from line ends.</summary>
    public static void CheckDistinct(char delimiter, char quote, char escape)
    {
        if (delimiter is '\r' or '\n' || quote is '\r' or '\n' || escape is '\r' or '\n')
            throw new StepException(ErrorKind.Configuration, "The options 'delimiter', 'quote' and 'escape' cannot be a line break.");
        if (delimiter == quote || (escape != quote && escape == delimiter))
            throw new StepException(ErrorKind.Configuration, "The options 'delimiter', 'quote' and 'escape' must be different characters.");
    }
}
