namespace Pipeline.RemoteFs.Ftp;

/// <summary>What a server announced in its FEAT reply (RFC 2389), with the details this client uses.</summary>
internal sealed class FtpFeatures
{
    private readonly Dictionary<string, string> _features;

    private FtpFeatures(Dictionary<string, string> features) => _features = features;

    /// <summary>No features (the server does not implement FEAT).</summary>
    public static FtpFeatures None { get; } = new(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase));

    /// <summary>Parses a 211 FEAT reply: one feature per inner line, each starting with a space.</summary>
    public static FtpFeatures Parse(FtpReply reply)
    {
        var features = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in reply.InnerLines)
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var space = line.IndexOf(' ');
            var name = space < 0 ? line : line[..space];
            features[name] = space < 0 ? "" : line[(space + 1)..].Trim();
        }
        return new FtpFeatures(features);
    }

    /// <summary>Whether the feature was announced.</summary>
    public bool Has(string feature) => _features.ContainsKey(feature);

    /// <summary>The feature's parameters as announced, or <c>null</c>.</summary>
    public string? Parameters(string feature) => _features.TryGetValue(feature, out var value) ? value : null;

    /// <summary>MLST/MLSD (RFC 3659).</summary>
    public bool Mlst => Has("MLST");

    /// <summary>SIZE (RFC 3659).</summary>
    public bool Size => Has("SIZE");

    /// <summary>MDTM (RFC 3659).</summary>
    public bool Mdtm => Has("MDTM");

    /// <summary>REST STREAM (RFC 3659).</summary>
    public bool RestStream => Parameters("REST")?.Contains("STREAM", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>UTF8 path names (RFC 2640).</summary>
    public bool Utf8 => Has("UTF8");

    /// <summary>The algorithms the HASH command (draft-bryan-ftp-hash) offers, upper case (<c>SHA-256</c>, <c>MD5</c>).</summary>
    public IReadOnlyList<string> HashAlgorithms =>
        Parameters("HASH") is { } value
            ? value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(a => a.TrimEnd('*').ToUpperInvariant()).ToArray()
            : [];

    /// <summary>The names of every announced feature.</summary>
    public IEnumerable<string> Names => _features.Keys;
}
