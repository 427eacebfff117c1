namespace Pipeline.RemoteFs.Transfers;

/// <summary>One file that could not be transferred.</summary>
/// <param name="SourcePath">The source file.</param>
/// <param name="DestinationPath">Where it was going.</param>
/// <param name="Error">The typed failure (its message names the path and the redacted endpoint).</param>
/// <param name="Attempts">How many attempts were made.</param>
public sealed record TransferFailure(string SourcePath, string DestinationPath, RemoteFsException Error, int Attempts);

/// <summary>One file that was transferred.</summary>
/// <param name="SourcePath">The source file.</param>
/// <param name="DestinationPath">The destination file.</param>
/// <param name="Bytes">Bytes written to the destination.</param>
/// <param name="Checksum">The verified checksum, when verification was on.</param>
public sealed record TransferredFile(string SourcePath, string DestinationPath, long Bytes, FileChecksum? Checksum);

/// <summary>What a transfer or a sync did.</summary>
public sealed record TransferResult
{
    /// <summary>Files transferred.</summary>
    public IReadOnlyList<TransferredFile> Transferred { get; init; } = [];

    /// <summary>Files left alone (a sync found them equal).</summary>
    public int Skipped { get; init; }

    /// <summary>Destination files deleted (a sync with <see cref="SyncOptions.DeleteExtra"/>).</summary>
    public int Deleted { get; init; }

    /// <summary>Files that failed.</summary>
    public IReadOnlyList<TransferFailure> Failures { get; init; } = [];

    /// <summary>The time the whole transfer took.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Number of files transferred.</summary>
    public int Files => Transferred.Count;

    /// <summary>Bytes written to destinations.</summary>
    public long Bytes => Transferred.Sum(f => f.Bytes);

    /// <summary>Whether every file succeeded.</summary>
    public bool Succeeded => Failures.Count == 0;

    /// <summary>Throws the first failure's error when any file failed (its message says how many failed).</summary>
    public void ThrowIfFailed()
    {
        if (Failures.Count == 0) return;
        var first = Failures[0].Error;
        if (Failures.Count == 1) throw first;
        throw new RemoteFsException(first.Kind, $"{Failures.Count} files failed; the first: {first.Message}", innerException: first);
    }
}
