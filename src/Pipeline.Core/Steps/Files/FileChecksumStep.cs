using System.Globalization;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Steps.Files;

/// <summary>
/// <c>file.checksum</c>: computes a file's hash (the backend's own where it has one) and publishes it as the output
/// <c>checksum</c>; with <c>expected</c> a different hash fails the step as an integrity error.
/// </summary>
public sealed class FileChecksumStep : IStepHandler
{
    private static readonly string[] Algorithms = ["sha256", "md5", "sha1", "sha512"];

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "file.checksum",
        "Computes the hash of a file on any file system, publishes it as the output 'checksum', and optionally checks it against an expected value.",
        [
            new StepOptionInfo("path", StepOptionType.String, "The file: a path (relative to the definition) or a URI.") { Required = true },
            new StepOptionInfo("algorithm", StepOptionType.String, "The hash algorithm.") { Default = "sha256", AllowedValues = Algorithms },
            new StepOptionInfo("expected", StepOptionType.String, "The hash the file must have, in hexadecimal; a different one fails the step."),
        ]);

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var pathText = options.GetRequiredString("path");
        var algorithmName = options.GetChoice("algorithm", "sha256", Algorithms);
        var algorithm = algorithmName switch
        {
            "md5" => ChecksumAlgorithm.Md5,
            "sha1" => ChecksumAlgorithm.Sha1,
            "sha512" => ChecksumAlgorithm.Sha512,
            _ => ChecksumAlgorithm.Sha256,
        };
        var expected = options.GetString("expected")?.Trim();
        if (expected is { Length: 0 }) expected = null;
        var digits = algorithm switch
        {
            ChecksumAlgorithm.Md5 => 32,
            ChecksumAlgorithm.Sha1 => 40,
            ChecksumAlgorithm.Sha512 => 128,
            _ => 64,
        };
        if (expected is not null && (expected.Length != digits || !expected.All(char.IsAsciiHexDigit)))
            throw new StepException(ErrorKind.Configuration, $"The option 'expected' must be a {algorithmName} hash of {digits} hexadecimal digits, not '{expected}'.");

        await using var file = await FileLocation.OpenAsync(context, "path", pathText, cancellationToken).ConfigureAwait(false);
        var item = await file.FileSystem.StatAsync(file.Path, cancellationToken).ConfigureAwait(false);
        if (item is null)
            throw FileErrors.NotFound("file", file.ToString());
        if (item.IsDirectory)
            throw new StepException(ErrorKind.Configuration, $"'{file}' is a directory; file.checksum hashes a file.");

        var checksum = await file.FileSystem.GetChecksumAsync(file.Path, algorithm, cancellationToken).ConfigureAwait(false);
        context.Metrics.AddFiles(1);
        if (!checksum.Native) context.Metrics.AddBytes(item.Length);
        context.SetOutput("checksum", checksum.Hex);
        context.SetOutput("algorithm", algorithmName);
        if (expected is not null && !checksum.Matches(expected))
        {
            throw new StepException(ErrorKind.Integrity,
                $"The {algorithmName} of '{file}' is {checksum.Hex}, but {expected.ToLower(CultureInfo.InvariantCulture)} was expected.");
        }
        context.Log(LogLevel.Information, $"The {algorithmName} of '{file}' is {checksum.Hex}{(expected is null ? "" : " as expected")}.");
    });
}
