using Pipeline.Core.Execution;
using Pipeline.Core.State;
using Pipeline.Core.Tests.State;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Execution;

public sealed class RunNotFoundTests
{
    [Fact]
    public async Task Resuming_a_run_the_store_does_not_have_throws_RunNotFoundException_naming_it()
    {
        using var directory = new TempStoreDirectory();
        await using var store = new SqliteRunStore(directory.DatabasePath);
        var executor = new PipelineExecutor(Registry());

        var ex = await Assert.ThrowsAsync<RunNotFoundException>(() =>
            executor.RunAsync(new RunRequest { Store = store, ResumeRunId = "20260101-000000-abcdef" }));

        Assert.Equal("20260101-000000-abcdef", ex.RunId);
        Assert.Contains("There is no run '20260101-000000-abcdef' to resume.", ex.Message);
        Assert.Empty(await store.GetRunsAsync(new RunQuery()));
    }
}
