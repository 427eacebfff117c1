namespace Pipeline.Cli.Tests.Support;

/// <summary>
/// A fresh directory for one test: its definition files and what its runs write, and a run store of its own in
/// <c>state/</c> (passed as PIPELINE_STATE_DIR), so that no test touches the user's store or another test's.
/// </summary>
internal sealed class Workspace : IDisposable
{
    public Workspace()
    {
        Root = Directory.CreateTempSubdirectory("pipeline-cli-").FullName;
        StateDirectory = System.IO.Path.Combine(Root, "state");
    }

    public string Root { get; }

    public string StateDirectory { get; }

    public string Path(string relative) => System.IO.Path.Combine(Root, relative);

    /// <summary>Writes a file (creating its directory) and returns its full path.</summary>
    public string Write(string relative, string text)
    {
        var path = Path(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        return path;
    }

    /// <summary>Runs the command here and waits for it to end.</summary>
    public Task<CliResult> RunAsync(params string[] arguments) => CliProcess.RunAsync(this, arguments);

    /// <summary>Starts the command here.</summary>
    public CliProcess Start(params string[] arguments) => CliProcess.Start(this, arguments);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A process a failed test left behind may still hold a file.
        }
    }
}
