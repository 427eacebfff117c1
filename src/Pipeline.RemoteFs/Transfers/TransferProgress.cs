namespace Pipeline.RemoteFs.Transfers;

/// <summary>Where a transfer stands: sent at most a few times per second, and once more with
/// <see cref="Completed"/> set at the end.</summary>
/// <param name="Path">The file most recently started (its source path).</param>
/// <param name="BytesTransferred">Bytes moved so far, over all files.</param>
/// <param name="TotalBytes">Bytes to move over all files, when known.</param>
/// <param name="FilesDone">Files finished (transferred, skipped or failed).</param>
/// <param name="FilesTotal">Files in the transfer.</param>
/// <param name="BytesPerSecond">The average rate since the transfer started.</param>
/// <param name="Remaining">The estimated time left, when the total and a rate are known.</param>
/// <param name="Completed">Whether this is the final report.</param>
public sealed record TransferProgress(
    string Path,
    long BytesTransferred,
    long? TotalBytes,
    int FilesDone,
    int FilesTotal,
    double BytesPerSecond,
    TimeSpan? Remaining,
    bool Completed)
{
    /// <summary>Percent done by bytes (by files when no byte total is known), 0–100.</summary>
    public int PercentComplete => Completed ? 100
        : TotalBytes is > 0 ? (int)Math.Clamp(BytesTransferred * 100 / TotalBytes.Value, 0, 100)
        : FilesTotal > 0 ? FilesDone * 100 / FilesTotal : 0;
}
