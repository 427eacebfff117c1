using System.Globalization;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Transfers;

namespace Pipeline.Core.Steps.Remote;

/// <summary>The options the remote transfer steps share, and how they become <see cref="TransferOptions"/>.</summary>
internal static class RemoteStepOptions
{
    public static StepOptionInfo Source(string what) =>
        new("source", StepOptionType.String, what) { Required = true };

    public static StepOptionInfo Destination(string what) =>
        new("destination", StepOptionType.String, what) { Required = true };

    public static readonly StepOptionInfo Overwrite = new("overwrite", StepOptionType.Boolean,
        "Replace destination files that exist; otherwise an existing destination file fails that file (and the step).") { Default = "false" };

    public static readonly StepOptionInfo Recursive = new("recursive", StepOptionType.Boolean,
        "Transfer a directory's content with its subdirectories, and let a glob match in subdirectories, keeping relative paths.") { Default = "false" };

    public static readonly StepOptionInfo Verify = new("verify", StepOptionType.Boolean,
        "Verify every file's checksum after it is written (the backend's own MD5 where it has one); a mismatch leaves nothing under the file's name.") { Default = "true" };

    public static readonly StepOptionInfo Parallelism = new("parallelism", StepOptionType.Integer,
        "How many files are transferred at once.") { Default = "4" };

    public static readonly StepOptionInfo PreserveTimestamps = new("preserve_timestamps", StepOptionType.Boolean,
        "Give local copies their source's modification time.") { Default = "true" };

    public static readonly StepOptionInfo Gzip = new("gzip", StepOptionType.String,
        "Compress (the destination name gets .gz when it is a directory) or decompress (the gzip trailer is checked) on the fly.")
    { Default = "none", AllowedValues = ["none", "compress", "decompress"] };

    public static readonly StepOptionInfo Attempts = new("attempts", StepOptionType.Integer,
        "Attempts per file for transient failures (a dropped connection, a timeout); 1 means no retry.") { Default = "3" };

    public static readonly StepOptionInfo ProgressInterval = new("progress_interval", StepOptionType.Duration,
        "How often progress (bytes, files, rate, time left) is logged at verbose level.") { Default = "5s" };

    public static readonly StepOptionInfo Resume = new("resume", StepOptionType.Boolean,
        "Keep the partial download of a failed attempt (hidden .NAME.partial) and continue it on the next attempt or run, when the source has not changed.") { Default = "false" };

    public static readonly StepOptionInfo PartSize = new("part_size", StepOptionType.Integer,
        "Bytes per ranged part when a large file is downloaded in parallel parts.") { Default = "16777216" };

    public static readonly StepOptionInfo ParallelParts = new("parallel_parts", StepOptionType.Integer,
        "Ranged parts of one large file downloaded at once (1 downloads it as one stream).") { Default = "4" };

    public static readonly StepOptionInfo Pattern = new("pattern", StepOptionType.String,
        "A glob files must match, relative to the source directory (*, ?, **, [abc]).");

    /// <summary>Reads the shared options of a transfer step.</summary>
    public static TransferOptions Read(StepContext context, bool overwriteDefault = false)
    {
        var options = context.Options;
        var parallelism = options.GetInt32("parallelism", 4);
        var attempts = options.GetInt32("attempts", 3);
        var partSize = options.GetInt64("part_size", 16L * 1024 * 1024);
        var parallelParts = options.GetInt32("parallel_parts", 4);
        if (parallelism is < 1 or > 256) throw Invalid("parallelism", "between 1 and 256", parallelism);
        if (attempts is < 1 or > 100) throw Invalid("attempts", "between 1 and 100", attempts);
        if (partSize < 64 * 1024) throw Invalid("part_size", "at least 65536", partSize);
        if (parallelParts is < 1 or > 64) throw Invalid("parallel_parts", "between 1 and 64", parallelParts);
        var pattern = options.GetString("pattern");
        if (pattern is not null)
        {
            try
            {
                Glob.Compile(pattern);
            }
            catch (ArgumentException ex)
            {
                throw new StepException(ErrorKind.Configuration, $"The option 'pattern' is not a valid glob: {ex.Message}", ex);
            }
        }
        return new TransferOptions
        {
            Overwrite = options.GetBoolean("overwrite", overwriteDefault),
            VerifyChecksum = options.GetBoolean("verify", true),
            Parallelism = parallelism,
            MaxAttempts = attempts,
            Resume = options.GetBoolean("resume", false),
            PreserveTimestamps = options.GetBoolean("preserve_timestamps", true),
            Gzip = options.GetChoice("gzip", "none", "none", "compress", "decompress") switch
            {
                "compress" => GzipMode.Compress,
                "decompress" => GzipMode.Decompress,
                _ => GzipMode.None,
            },
            PartSize = partSize,
            PartParallelism = parallelParts,
            ParallelPartThreshold = Math.Max(partSize * 2, 32L * 1024 * 1024),
            Recursive = options.GetBoolean("recursive", false),
            Filter = pattern,
            TimeProvider = context.Time,
            ProgressInterval = options.GetDuration("progress_interval", TimeSpan.FromSeconds(5)),
            Progress = new LoggedProgress(context),
        };
    }

    private static StepException Invalid(string name, string expected, long value) =>
        new(ErrorKind.Configuration, string.Create(CultureInfo.InvariantCulture, $"The option '{name}' must be {expected}, not {value}."));

    /// <summary>Writes throttled progress to the run's log at verbose level (the final report is the step's summary).</summary>
    private sealed class LoggedProgress(StepContext context) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value)
        {
            if (value.Completed || value.BytesTransferred == 0) return;
            var total = value.TotalBytes is { } t ? $" of {Size(t)}" : "";
            var left = value.Remaining is { } r ? $", about {Math.Ceiling(r.TotalSeconds):0}s left" : "";
            context.Log(LogLevel.Verbose, string.Create(CultureInfo.InvariantCulture,
                $"{Size(value.BytesTransferred)}{total} ({value.PercentComplete}%), {value.FilesDone} of {value.FilesTotal} files, {Size((long)value.BytesPerSecond)}/s{left}."));
        }
    }

    /// <summary>"512 B", "1.5 KiB", "12.0 MiB", "1.00 GiB".</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024:0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024 / 1024:0.00} GiB"),
    };
}
