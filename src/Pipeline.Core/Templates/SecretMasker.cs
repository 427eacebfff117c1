namespace Pipeline.Core.Templates;

/// <summary>
/// Replaces every known secret value with <c>***</c> in text bound for logs, events, errors, summaries and the run
/// store. Secrets are added as they are resolved; masking is thread-safe.
/// </summary>
public sealed class SecretMasker
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    private volatile string[] _secrets = [];
    private readonly object _gate = new();

    /// <summary>Adds a secret value (and its URL-encoded form). Values shorter than 3 characters are not masked
    /// (they would mask ordinary text) — use longer secrets.</summary>
    public void Add(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < 3) return;
        lock (_gate)
        {
            var forms = new[] { secret, Uri.EscapeDataString(secret) }.Where(f => !_secrets.Contains(f));
            _secrets = _secrets.Concat(forms).Distinct().OrderByDescending(s => s.Length).ToArray();
        }
    }

    /// <summary>Whether any secret is known.</summary>
    public bool IsEmpty => _secrets.Length == 0;

    /// <summary>The text with every known secret replaced.</summary>
    public string Apply(string text)
    {
        var secrets = _secrets;
        if (secrets.Length == 0 || string.IsNullOrEmpty(text)) return text;
        foreach (var secret in secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>Masks a nullable text.</summary>
    public string? ApplyOrNull(string? text) => text is null ? null : Apply(text);
}
