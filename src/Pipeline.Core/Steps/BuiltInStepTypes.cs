using Pipeline.Core.Steps.Data.Formats;
using Pipeline.Core.Steps.Files;
using Pipeline.Core.Steps.Log;
using Pipeline.Core.Steps.Process;

namespace Pipeline.Core.Steps;

/// <summary>The step types that ship with the engine.</summary>
public static class BuiltInStepTypes
{
    /// <summary>A new instance of every built-in step type, to register by <see cref="StepTypeInfo.Name"/>.</summary>
    public static IReadOnlyList<IStepHandler> Create() =>
    [
        new FileCopyStep(),
        new FileMoveStep(),
        new FileDeleteStep(),
        new FileListStep(),
        new FileCompressStep(),
        new FileDecompressStep(),
        new FileChecksumStep(),
        new ProcessRunStep(),
        new LogStep(),
        new CsvReadStep(),
        new CsvWriteStep(),
        new JsonReadStep(),
        new JsonWriteStep(),
        new ExcelReadStep(),
        new ExcelWriteStep(),
    ];
}
