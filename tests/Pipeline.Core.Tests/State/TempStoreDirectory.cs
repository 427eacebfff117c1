namespace Pipeline.Core.Tests.State;

/// <summary>A fresh directory for a run store database, deleted at the end of the test.</summary>
internal sealed class TempStoreDirectory : IDisposable
{
    public TempStoreDirectory()
    {
        Path = Directory.CreateTempSubdirectory("pipeline-state-").FullName;
    }

    public string Path { get; }

    public string DatabasePath => System.IO.Path.Combine(Path, "runs.db");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A child process killed by a test may still be letting go of the file on some systems.
        }
    }
}
