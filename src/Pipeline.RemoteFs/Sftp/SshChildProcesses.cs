using System.Collections.Concurrent;
using System.Diagnostics;

namespace Pipeline.RemoteFs.Sftp;

/// <summary>
/// Every ssh process this library started and has not yet ended. They are killed when the host process exits, so
/// none outlives it. (Should the host die without running exit handlers, ssh still ends: its standard input closes,
/// it sends EOF, the server ends the session.)
/// </summary>
internal static class SshChildProcesses
{
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    static SshChildProcesses()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    public static void Add(Process process) => Running[process.Id] = process;

    public static void Remove(Process process) => Running.TryRemove(process.Id, out _);

    /// <summary>The ids of the ssh processes alive now.</summary>
    public static IReadOnlyCollection<int> Ids => Running.Keys.ToArray();

    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // exiting as we speak
        }
    }

    private static void KillAll()
    {
        foreach (var process in Running.Values) Kill(process);
    }
}
