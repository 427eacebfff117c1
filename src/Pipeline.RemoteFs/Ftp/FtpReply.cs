namespace Pipeline.RemoteFs.Ftp;

/// <summary>One reply of an FTP server (RFC 959 §4.2): a three-digit code and one or more lines of text.</summary>
/// <param name="Code">The reply code, 100 to 599.</param>
/// <param name="Lines">The lines as received, the code included, without line ends.</param>
internal sealed record FtpReply(int Code, IReadOnlyList<string> Lines)
{
    /// <summary>1yz: the command was accepted and another reply will follow.</summary>
    public bool IsPreliminary => Code is >= 100 and < 200;

    /// <summary>2yz: the command succeeded.</summary>
    public bool IsSuccess => Code is >= 200 and < 300;

    /// <summary>3yz: the command was accepted and the server waits for another one (PASS after USER, RNTO after RNFR).</summary>
    public bool IsIntermediate => Code is >= 300 and < 400;

    /// <summary>The text of the first line after the code.</summary>
    public string Text => Lines[0].Length > 4 ? Lines[0][4..] : "";

    /// <summary>The lines between the first and the last of a multi-line reply (FEAT's features, MLST's facts).</summary>
    public IEnumerable<string> InnerLines => Lines.Count > 2 ? Lines.Skip(1).Take(Lines.Count - 2) : [];

    /// <summary>The reply as one line, for messages: the code and the texts of its lines.</summary>
    public override string ToString() => Lines.Count == 1 ? Lines[0] : string.Join(" | ", Lines);
}
