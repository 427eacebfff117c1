using System.Text;

namespace Pipeline.Core.Templates;

/// <summary>
/// Where <c>{secret:NAME}</c> values come from, in order: values the host passed (PowerShell <c>-Secret</c>), a
/// secret file (path from the host or the <c>PIPELINE_SECRETS_FILE</c> environment variable), then the environment
/// variable <c>NAME</c>.
/// </summary>
/// <remarks>
/// A secret file holds one <c>NAME=value</c> per line (an <c>export </c> before the name is allowed). Blank lines
/// and lines starting with <c>#</c> are ignored; spaces around the name and the value are removed, and so are
/// matching single or double quotes around the value; nothing else in a value is interpreted (a <c>#</c> inside a
/// value is part of it). A later line replaces an earlier one of the same name. A line that is not of this form is
/// an error naming the file and the line, never showing the line's text.
/// </remarks>
public sealed class SecretStore
{
    /// <summary>The environment variable that names a secret file when the host gives none.</summary>
    public const string SecretsFileVariable = "PIPELINE_SECRETS_FILE";

    private readonly IReadOnlyDictionary<string, string> _given;
    private readonly string? _file;
    private readonly object _gate = new();
    private Dictionary<string, string>? _fileValues;

    /// <summary>Creates a store.</summary>
    /// <param name="given">Secrets supplied by the host.</param>
    /// <param name="secretFile">A secret file, or null for <c>PIPELINE_SECRETS_FILE</c> when set.</param>
    public SecretStore(IReadOnlyDictionary<string, string>? given = null, string? secretFile = null)
    {
        _given = given ?? new Dictionary<string, string>();
        _file = secretFile ?? Environment.GetEnvironmentVariable(SecretsFileVariable);
    }

    /// <summary>The value of a secret, or null when no source has it.</summary>
    /// <exception cref="FileNotFoundException">The secret file does not exist.</exception>
    /// <exception cref="FormatException">The secret file has a line that is not <c>NAME=value</c>, or is not UTF-8.</exception>
    public string? Get(string name)
    {
        if (_given.TryGetValue(name, out var value)) return value;
        if (FileValues().TryGetValue(name, out value)) return value;
        return Environment.GetEnvironmentVariable(name);
    }

    private Dictionary<string, string> FileValues()
    {
        lock (_gate)
        {
            return _fileValues ??= string.IsNullOrEmpty(_file) ? new Dictionary<string, string>(StringComparer.Ordinal) : ReadFile(_file);
        }
    }

    private static Dictionary<string, string> ReadFile(string file)
    {
        if (!File.Exists(file))
            throw new FileNotFoundException($"The secret file '{file}' does not exist.", file);
        string text;
        try
        {
            text = File.ReadAllText(file, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException($"The secret file '{file}' is not valid UTF-8.");
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in text.TrimStart('\uFEFF').Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].TrimStart();
            var eq = line.IndexOf('=');
            var name = eq > 0 ? line[..eq].Trim() : "";
            if (!IsName(name))
                throw new FormatException($"{file}:{lineNumber}: a secret file line must be NAME=value (the line is not shown, as it may hold a secret).");
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0], value[^1]) is ('"', '"') or ('\'', '\'')) value = value[1..^1];
            values[name] = value;
        }
        return values;
    }

    private static bool IsName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
