using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pipeline.RemoteFs.Sftp;

/// <summary>
/// Plain blocking reads and writes on the pipes to and from ssh, in pipes of 1 MiB on Linux.
/// </summary>
/// <remarks>
/// On Unix, <see cref="System.Diagnostics.Process"/> hands out its pipes as <see cref="PipeStream"/>s, whose I/O goes through a socket
/// wrapper: after the first asynchronous call the descriptor is non-blocking, and every read or write that would wait
/// then round-trips through the runtime's epoll thread (two extra wake-ups per 64 KiB). A <see cref="FileStream"/> on
/// the same descriptor reads and writes with read(2) and write(2) and sleeps in the kernel. A default pipe also holds
/// only 64 KiB, less than one 255 KiB SFTP packet; OpenSSH's own sftp talks to ssh over a socket pair with larger
/// buffers, and F_SETPIPE_SZ gives ours the same room.
/// </remarks>
internal static class BlockingPipe
{
    /// <summary>The pipe capacity asked for; Linux caps it at /proc/sys/fs/pipe-max-size for unprivileged users (1 MiB by default).</summary>
    public const int WantedCapacity = 1024 * 1024;

    private const int SetPipeSize = 1031; // F_SETPIPE_SZ
    private const int GetPipeSize = 1032; // F_GETPIPE_SZ

    /// <summary>
    /// An unbuffered stream doing blocking I/O on the descriptor under <paramref name="pipe"/>, which stays its owner
    /// (dispose it to close the pipe). Anything else than a Unix pipe stream comes back as it is.
    /// </summary>
    public static Stream Open(Stream pipe, FileAccess access)
    {
        if (OperatingSystem.IsWindows() || pipe is not PipeStream stream) return pipe;
        var handle = new SafeFileHandle(stream.SafePipeHandle.DangerousGetHandle(), ownsHandle: false);
        if (OperatingSystem.IsLinux()) TryEnlarge(handle);
        return new FileStream(handle, access, bufferSize: 0, isAsync: false);
    }

    /// <summary>Asks for a larger pipe; returns its capacity afterwards, or 0 when unknown. Linux only.</summary>
    public static int TryEnlarge(SafeHandle pipe, int capacity = WantedCapacity)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        try
        {
            var fd = (int)pipe.DangerousGetHandle();
            if (Fcntl(fd, SetPipeSize, capacity) < 0)
                Fcntl(fd, SetPipeSize, Math.Min(capacity, MaxUnprivileged()));
            return Math.Max(0, Fcntl(fd, GetPipeSize, 0));
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0; // a larger pipe is an optimisation only
        }
    }

    private static int MaxUnprivileged()
    {
        try
        {
            return int.TryParse(File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim(), out var max) ? max : 64 * 1024;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 64 * 1024;
        }
    }

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);
}
