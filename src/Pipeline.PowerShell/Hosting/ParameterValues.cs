using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Net;
using System.Security;

namespace Pipeline.PowerShell.Hosting;

/// <summary>PowerShell values (hashtables, PSObjects, SecureStrings) as the plain values the engine takes.</summary>
internal static class ParameterValues
{
    /// <summary>-Variable: names to text, converted as PowerShell converts to [string].</summary>
    public static Dictionary<string, string> Variables(IDictionary? table)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (table is null) return result;
        foreach (DictionaryEntry entry in table)
            result[KeyOf(entry)] = LanguagePrimitives.ConvertTo<string>(Unwrap(entry.Value)) ?? "";
        return result;
    }

    /// <summary>-Secret: names to their plain values, from strings, SecureStrings or PSCredentials (the password).</summary>
    /// <exception cref="ArgumentException">A value of another type (its value is not shown).</exception>
    public static Dictionary<string, string> Secrets(IDictionary? table)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (table is null) return result;
        foreach (DictionaryEntry entry in table)
        {
            var name = KeyOf(entry);
            result[name] = Unwrap(entry.Value) switch
            {
                string text => text,
                SecureString secure => new NetworkCredential("", secure).Password,
                PSCredential credential => credential.GetNetworkCredential().Password,
                var other => throw new ArgumentException(
                    $"The secret '{name}' must be a string, a SecureString or a PSCredential, not a {other?.GetType().Name ?? "null"}.", "Secret"),
            };
        }
        return result;
    }

    /// <summary>-With: option values as the engine reads them (lists, maps, scalars).</summary>
    public static Dictionary<string, object?> Options(IDictionary? table)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (table is null) return result;
        foreach (DictionaryEntry entry in table) result[KeyOf(entry)] = Plain(entry.Value);
        return result;
    }

    /// <summary>A hashtable's entries as name/value pairs.</summary>
    public static IEnumerable<KeyValuePair<string, object?>> Pairs(IDictionary table) =>
        table.Cast<DictionaryEntry>().Select(e => new KeyValuePair<string, object?>(KeyOf(e), Unwrap(e.Value))).ToArray();

    private static object? Plain(object? value) => Unwrap(value) switch
    {
        null => null,
        string s => s,
        IDictionary map => Options(map),
        IEnumerable list => list.Cast<object?>().Select(Plain).ToList(),
        var scalar => scalar,
    };

    private static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;

    private static string KeyOf(DictionaryEntry entry) => Convert.ToString(Unwrap(entry.Key), CultureInfo.InvariantCulture) ?? "";
}
