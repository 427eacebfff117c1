namespace Pipeline.RemoteFs.Transfers;

/// <summary>What happens to gzip compression while a file is transferred.</summary>
public enum GzipMode
{
    /// <summary>The bytes arrive as they left.</summary>
    None,
    /// <summary>The destination receives the source gzip-compressed.</summary>
    Compress,
    /// <summary>The source is gzip data; the destination receives it decompressed (the gzip trailer is checked).</summary>
    Decompress,
}

/// <summary>How <see cref="RemoteTransfer"/> and <see cref="RemoteSync"/> move files. Options are data, checked once by
/// <see cref="Validate"/> before anything moves.</summary>
public sealed record TransferOptions
{
    /// <summary>Replace destination files that exist; otherwise an existing destination file is a
    /// <see cref="RemoteErrorKind.Conflict"/> failure for that file.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Compare the destination's checksum with the bytes sent after every file (the backend's native hash
    /// where it has one). A mismatch fails the file and leaves nothing under its name.</summary>
    public bool VerifyChecksum { get; init; } = true;

    /// <summary>The algorithm used to verify: MD5 by default, because S3 ETags and Azure's Content-MD5 give it
    /// without reading the object back.</summary>
    public ChecksumAlgorithm ChecksumAlgorithm { get; init; } = ChecksumAlgorithm.Md5;

    /// <summary>How many files are transferred at once when many are.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>
    /// Keep the partial download of a failed or cancelled transfer to a local file (a hidden <c>.NAME.partial</c>
    /// sibling with a note of which source version it holds) and continue it on the next transfer of the same file,
    /// where the source can read from an offset and has not changed since.
    /// </summary>
    public bool Resume { get; init; }

    /// <summary>Compress or decompress on the fly. In tree copies, compressing appends <c>.gz</c> to each
    /// destination name and decompressing removes it.</summary>
    public GzipMode Gzip { get; init; }

    /// <summary>Give each copy its source's modification time, where the destination can take one (local files).</summary>
    public bool PreserveTimestamps { get; init; } = true;

    /// <summary>Receives progress, at most once per <see cref="ProgressInterval"/> plus a final
    /// <see cref="TransferProgress.Completed"/> report. Called on worker threads; keep it short.</summary>
    public IProgress<TransferProgress>? Progress { get; init; }

    /// <summary>The least time between two progress reports (default 250 ms; zero reports every chunk).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The clock for progress, rates and retry delays.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Descend into subdirectories when the source is a directory.</summary>
    public bool Recursive { get; init; } = true;

    /// <summary>A glob (<c>*.csv</c>, <c>**/*.json</c>) that files of a directory source must match, relative to it.</summary>
    public string? Filter { get; init; }

    /// <summary>Files at least this large are downloaded in parallel ranged parts where the source supports ranges
    /// (default 64 MiB).</summary>
    public long ParallelPartThreshold { get; init; } = 64L * 1024 * 1024;

    /// <summary>The size of one ranged part of a parallel download (default 16 MiB).</summary>
    public long PartSize { get; init; } = 16L * 1024 * 1024;

    /// <summary>Ranged parts of one file fetched at once (default 4).</summary>
    public int PartParallelism { get; init; } = 4;

    /// <summary>Attempts per file for transient failures (dropped connection, timeout); 1 means no retry.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The wait before the first retry; it doubles with each further attempt.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Stop at the first failed file (the others in flight are cancelled); otherwise every file is tried and
    /// failures are listed in <see cref="TransferResult.Failures"/>.</summary>
    public bool StopOnError { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Parallelism < 1) throw new ArgumentOutOfRangeException(nameof(Parallelism), Parallelism, "Parallelism must be at least 1.");
        if (PartParallelism < 1) throw new ArgumentOutOfRangeException(nameof(PartParallelism), PartParallelism, "PartParallelism must be at least 1.");
        if (PartSize < 1024) throw new ArgumentOutOfRangeException(nameof(PartSize), PartSize, "PartSize must be at least 1 KiB.");
        if (ParallelPartThreshold < 0) throw new ArgumentOutOfRangeException(nameof(ParallelPartThreshold), ParallelPartThreshold, "ParallelPartThreshold must not be negative.");
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "MaxAttempts must be at least 1.");
        if (RetryDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RetryDelay), RetryDelay, "RetryDelay must not be negative.");
        if (ProgressInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ProgressInterval), ProgressInterval, "ProgressInterval must not be negative.");
        if (!Enum.IsDefined(Gzip)) throw new ArgumentOutOfRangeException(nameof(Gzip), Gzip, "Unknown gzip mode.");
        if (Filter is not null) Glob.Compile(Filter);
    }
}
