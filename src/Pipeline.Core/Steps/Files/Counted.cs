namespace Pipeline.Core.Steps.Files;

/// <summary>Counts in messages: "1 file", "3 files", "2 directories".</summary>
internal static class Counted
{
    public static string Of(long count, string noun, string? plural = null) => count == 1 ? $"1 {noun}" : $"{count} {plural ?? noun + "s"}";
}
