using System.Text;

namespace Pipeline.Core.Steps.Process;

/// <summary>Reads a process's output stream as lines, as they come, without holding more than one bounded line.</summary>
internal static class ProcessOutput
{
    /// <summary>Lines longer than this are handed on in pieces, so output without newlines cannot exhaust memory.</summary>
    public const int MaxLineLength = 1 << 16;

    /// <summary>Calls <paramref name="onLine"/> for every line (without its line ending) until the stream ends or is closed.</summary>
    public static async Task PumpAsync(StreamReader reader, Action<string> onLine)
    {
        var buffer = new char[4096];
        var line = new StringBuilder();
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory()).ConfigureAwait(false)) > 0)
            {
                for (var i = 0; i < read; i++)
                {
                    var c = buffer[i];
                    if (c == '\n')
                    {
                        Emit();
                    }
                    else
                    {
                        line.Append(c);
                        if (line.Length >= MaxLineLength) Emit();
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process was abandoned after a kill and its pipe closed under us: what was read is all there is.
        }
        if (line.Length > 0) Emit();

        void Emit()
        {
            var text = line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();
            line.Clear();
            onLine(text);
        }
    }
}

/// <summary>The last bytes (UTF-8) of a process's output, as whole lines where they fit. Thread-safe.</summary>
internal sealed class OutputTail(long maxBytes)
{
    private readonly Queue<(string Line, long Size)> _lines = new();
    private readonly object _gate = new();
    private long _size; // bytes of the lines plus one separator each

    /// <summary>Whether older output was dropped.</summary>
    public bool Truncated { get; private set; }

    /// <summary>Adds a line, dropping the oldest ones past the limit.</summary>
    public void Add(string line)
    {
        lock (_gate)
        {
            if (maxBytes <= 0)
            {
                Truncated = true;
                return;
            }
            var size = Encoding.UTF8.GetByteCount(line) + 1L;
            _lines.Enqueue((line, size));
            _size += size;
            while (_size - 1 > maxBytes && _lines.Count > 1)
            {
                _size -= _lines.Dequeue().Size;
                Truncated = true;
            }
            if (_size - 1 > maxBytes)
            {
                var tail = TailOf(_lines.Dequeue().Line, maxBytes);
                _lines.Enqueue((tail, Encoding.UTF8.GetByteCount(tail) + 1L));
                _size = _lines.Peek().Size;
                Truncated = true;
            }
        }
    }

    /// <summary>The kept lines joined with '\n'.</summary>
    public string Text
    {
        get
        {
            lock (_gate) return string.Join('\n', _lines.Select(l => l.Line));
        }
    }

    /// <summary>The last <paramref name="count"/> non-empty lines.</summary>
    public IReadOnlyList<string> LastLines(int count)
    {
        lock (_gate) return _lines.Select(l => l.Line).Where(l => l.Trim().Length > 0).TakeLast(count).ToArray();
    }

    private static string TailOf(string line, long maxBytes)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        var start = (int)(bytes.Length - maxBytes);
        while (start < bytes.Length && (bytes[start] & 0xC0) == 0x80) start++; // not inside a character
        return Encoding.UTF8.GetString(bytes, start, bytes.Length - start);
    }
}
