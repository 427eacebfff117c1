using System.IO.Compression;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Steps.Files;

/// <summary>The archive formats of <c>file.compress</c> and <c>file.decompress</c>, and how options name them.</summary>
internal static class ArchiveFormat
{
    public const string Gzip = "gzip";
    public const string Zip = "zip";

    /// <summary>The format option, or the one the file name's extension implies.</summary>
    public static string Choose(StepOptions options, string fileText, string fileOption)
    {
        if (options.Has("format"))
            return options.GetChoice("format", Gzip, Gzip, Zip);
        var path = fileText.Split('?')[0];
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return Gzip;
        if (path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) return Zip;
        throw new StepException(ErrorKind.Configuration,
            $"The format cannot be told from the {fileOption} '{path}': name it .gz or .zip, or set format: gzip or zip.");
    }

    /// <summary>The file name without the format's extension, or null when it does not have it.</summary>
    public static string? StripExtension(string name, string format)
    {
        var extension = format == Gzip ? ".gz" : ".zip";
        return name.Length > extension.Length && name.EndsWith(extension, StringComparison.OrdinalIgnoreCase) ? name[..^extension.Length] : null;
    }

    /// <summary>The level option.</summary>
    public static CompressionLevel Level(StepOptions options) => options.GetChoice("level", "optimal", "fastest", "optimal", "smallest") switch
    {
        "fastest" => CompressionLevel.Fastest,
        "smallest" => CompressionLevel.SmallestSize,
        _ => CompressionLevel.Optimal,
    };
}
