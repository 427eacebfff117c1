using System.ComponentModel;
using System.Diagnostics;

namespace Pipeline.Core.State;

/// <summary>
/// Whether a process of this machine still exists, so that a run slot held by a crashed process can be taken over
/// at once instead of after the heartbeat timeout. When in doubt the answer is "yes": a wrong "no" would let two
/// runs in, a wrong "yes" only makes the next run wait for the timeout (which also covers a reused process id).
/// </summary>
internal static class ProcessLiveness
{
    public static bool Exists(int processId)
    {
        if (processId == Environment.ProcessId) return true;
        if (processId <= 0) return false;
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no process has this id
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            return true; // it exists but we may not look at it, or the platform cannot tell
        }
    }
}
