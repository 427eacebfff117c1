using System.Text;

namespace Pipeline.Core.Templates;

/// <summary>
/// Where <c>{secret:NAME}</c> values come from, in order: values the host passed (PowerShell <c>-Secret</c>), a
/// secret file (<c>NAME=value</c> lines; path from the host or the <c>PIPELINE_SECRETS_FILE</c> environment
/// variable), then the environment variable <c>NAME</c>.
/// </summary>
public sealed class SecretStore
{
    private readonly IReadOnlyDictionary<string, string> _given;
    private readonly string? _file;
    private Dictionary<string, string>? _fileValues;

    /// <summary>Creates a store.</summary>
    /// <param name="given">Secrets supplied by the host.</param>
    /// <param name="secretFile">A secret file, or null for <c>PIPELINE_SECRETS_FILE</c> when set.</param>
    public SecretStore(IReadOnlyDictionary<string, string>? given = null, string? secretFile = null)
    {
        _given = given ?? new Dictionary<string, string>();
        _file = secretFile ?? Environment.GetEnvironmentVariable("PIPELINE_SECRETS_FILE");
    }

    /// <summary>The value of a secret, or null when no source has it.</summary>
    public string? Get(string name)
    {
        if (_given.TryGetValue(name, out var value)) return value;
        if (FileValues().TryGetValue(name, out value)) return value;
        return Environment.GetEnvironmentVariable(name);
    }

    private Dictionary<string, string> FileValues()
    {
        if (_fileValues is not null) return _fileValues;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(_file))
        {
            if (!File.Exists(_file))
                throw new FileNotFoundException($"The secret file '{_file}' does not exist.", _file);
            var lineNumber = 0;
            foreach (var raw in File.ReadLines(_file, Encoding.UTF8))
            {
                lineNumber++;
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                var eq = line.IndexOf('=');
                if (eq <= 0)
                    throw new FormatException($"{_file}:{lineNumber}: a secret file line must be NAME=value (the value is not shown).");
                var v = line[(eq + 1)..].Trim();
                if (v.Length >= 2 && (v[0] == '"' && v[^1] == '"' || v[0] == '\'' && v[^1] == '\'')) v = v[1..^1];
                values[line[..eq].Trim()] = v;
            }
        }
        return _fileValues = values;
    }
}
