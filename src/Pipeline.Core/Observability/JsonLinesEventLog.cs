using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Core.Observability;

/// <summary>Writes every event as one JSON object per line (masked like every event), flushed per line so that a
/// crashed run still leaves its log.</summary>
public sealed class JsonLinesEventLog : IPipelineEventSink, IDisposable
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly StreamWriter _writer;
    private readonly object _gate = new();

    /// <summary>Opens (appends to) a log file, creating its directory.</summary>
    public JsonLinesEventLog(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read), new System.Text.UTF8Encoding(false));
    }

    /// <summary>The log file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public void OnEvent(PipelineEvent pipelineEvent)
    {
        var line = JsonSerializer.Serialize(new
        {
            time = pipelineEvent.Time,
            kind = pipelineEvent.Kind,
            run_id = pipelineEvent.RunId,
            pipeline_id = pipelineEvent.PipelineId,
            step_id = pipelineEvent.StepId,
            attempt = pipelineEvent.Attempt,
            level = pipelineEvent.Level,
            message = pipelineEvent.Message,
            status = pipelineEvent.Status,
            error_kind = pipelineEvent.ErrorKind,
            duration_ms = pipelineEvent.Duration?.TotalMilliseconds,
            delay_ms = pipelineEvent.Delay?.TotalMilliseconds,
        }, Options);
        lock (_gate)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }
}
