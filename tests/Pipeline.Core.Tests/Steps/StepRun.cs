using System.Collections.Concurrent;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Tests.Steps;

/// <summary>Runs one step handler the way the engine would: a real <see cref="StepContext"/>, a log that keeps every message.</summary>
internal sealed class StepRun
{
    private readonly IStepHandler _handler;
    private readonly Dictionary<string, object?> _options = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _log = new();
    private StepContext? _context;

    public StepRun(IStepHandler handler, string workingDirectory)
    {
        _handler = handler;
        WorkingDirectory = workingDirectory;
    }

    public string WorkingDirectory { get; }

    public RemoteFileSystems FileSystems { get; set; } = RemoteFileSystems.CreateDefault();

    public TimeProvider Time { get; set; } = TimeProvider.System;

    public IRecordWriter? Output { get; set; }

    /// <summary>Called for every message as it is logged (from the thread that logged it).</summary>
    public Action<LogLevel, string>? OnLog { get; set; }

    public StepContext Context => _context ?? throw new InvalidOperationException("The step has not run.");

    public IReadOnlyList<(LogLevel Level, string Message)> Log => _log.ToArray();

    public IEnumerable<string> Messages(LogLevel level) => _log.Where(e => e.Level == level).Select(e => e.Message);

    public object? Result(string name) => Context.Outputs.TryGetValue(name, out var value) ? value : null;

    public StepRun With(string name, object? value)
    {
        _options[name] = value;
        return this;
    }

    public async Task<StepRun> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        _context = new StepContext("pipeline", "run-1", "step", 1, new StepOptions(_options), new Dictionary<string, string>(), (level, message) =>
        {
            _log.Enqueue((level, message));
            OnLog?.Invoke(level, message);
        })
        {
            WorkingDirectory = WorkingDirectory,
            FileSystems = FileSystems,
            Time = Time,
            Output = Output,
        };
        await _handler.ExecuteAsync(_context, cancellationToken);
        return this;
    }

    /// <summary>Runs the step, asserts it fails with <paramref name="kind"/>, and returns the failure.</summary>
    public async Task<StepException> FailsAsync(ErrorKind kind, CancellationToken cancellationToken = default)
    {
        var ex = await Assert.ThrowsAsync<StepException>(() => ExecuteAsync(cancellationToken));
        Assert.True(kind == ex.Kind, $"Expected a {kind} failure, got {ex.Kind}: {ex.Message}");
        return ex;
    }
}

/// <summary>A temporary directory with real files, deleted afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("pipeline-steps-").FullName;

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public string Write(string relative, string content) => Write(relative, System.Text.Encoding.UTF8.GetBytes(content));

    public string Write(string relative, byte[] content)
    {
        var full = this[relative];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return full;
    }

    public string CreateDirectory(string relative) => Directory.CreateDirectory(this[relative]).FullName;

    public string Read(string relative) => File.ReadAllText(this[relative]);

    /// <summary>Every file below the directory, '/'-separated and sorted.</summary>
    public IReadOnlyList<string> Files(string relative = ".") =>
        Directory.EnumerateFiles(this[relative], "*", SearchOption.AllDirectories)
            .Select(f => System.IO.Path.GetRelativePath(this[relative], f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Collects the record batches a step writes.</summary>
internal sealed class CollectingRecordWriter : IRecordWriter
{
    public List<RecordBatch> Batches { get; } = [];

    public IEnumerable<object?[]> Rows => Batches.SelectMany(b => b.Rows);

    public ValueTask WriteAsync(RecordBatch batch, CancellationToken cancellationToken = default)
    {
        Batches.Add(batch);
        return ValueTask.CompletedTask;
    }
}
