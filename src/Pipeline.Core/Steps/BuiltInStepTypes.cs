using Pipeline.Core.Steps.Data.Formats;
using Pipeline.Core.Steps.Data.Transforms;
using Pipeline.Core.Steps.Data.Validation;
using Pipeline.Core.Steps.Data.Sql;
using Pipeline.Core.Steps.Files;
using Pipeline.Core.Steps.Log;
using Pipeline.Core.Steps.Process;
using Pipeline.Core.Steps.Remote;

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
        new FilterStep(),
        new SelectStep(),
        new DeriveStep(),
        new SortStep(),
        new DistinctStep(),
        new JoinStep(),
        new AggregateStep(),
        new UnionStep(),
        new SplitStep(),
        new LimitStep(),
        new LookupStep(),
        new ValidateStep(),
        new CsvReadStep(),
        new CsvWriteStep(),
        new JsonReadStep(),
        new JsonWriteStep(),
        new SqlReadStep(),
        new SqlWriteStep(),
        new SqlQueryStep(),
        new RemoteUploadStep(),
        new RemoteDownloadStep(),
        new RemoteListStep(),
        new RemoteDeleteStep(),
        new RemoteMoveStep(),
        new RemoteSyncStep(),
    ];
}
