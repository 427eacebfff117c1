using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Formats;

namespace Pipeline.Core.Steps.Data.Common;

/// <summary>
/// Where a bad row is: the file, the line (text files) or row (spreadsheets, records), and the column when one
/// value is at fault.
/// </summary>
/// <param name="File">The file as it may be printed.</param>
/// <param name="Unit">"line", "row" or "record".</param>
/// <param name="Number">The line or row number, from 1.</param>
/// <param name="Column">The column (a name, a number or both), when one value is at fault.</param>
/// <param name="Message">What is wrong.</param>
internal sealed record DataError(string File, string Unit, long Number, string? Column, string Message)
{
    /// <summary>"'in.csv', line 12, column 3 (amount)".</summary>
    public string Where => $"'{File}', {Unit} {Number}" + (Column is null ? "" : $", column {Column}");

    /// <summary>The error as a step failure of kind <see cref="ErrorKind.Validation"/>.</summary>
    public StepException ToException(Exception? inner = null) => new(ErrorKind.Validation, $"{Where}: {Message}", inner);

    /// <inheritdoc />
    public override string ToString() => $"{Where}: {Message}";
}

/// <summary>
/// The <c>on_error</c> policy of a record source: <c>fail</c> stops the step at the first bad row with its position;
/// <c>skip</c> drops bad rows, counts them and logs the first few; <c>reject</c> writes each bad row, with its position
/// and reason (columns file, line, column, error, record), to the CSV file <c>reject_path</c> (committed when the step
/// ends) or, without a path, to the step's named output <c>rejected</c> (<c>input: read.rejected</c>). The step
/// publishes the outputs <c>skipped</c> and <c>rejected</c>.
/// </summary>
internal sealed class BadRows : IAsyncDisposable
{
    private const int LoggedSkips = 10;
    private static readonly RecordSchema RejectSchema = new([
        new RecordField("file", FieldType.String), new RecordField("line", FieldType.Integer), new RecordField("column", FieldType.String),
        new RecordField("error", FieldType.String), new RecordField("record", FieldType.String)]);

    private readonly StepContext _context;
    private readonly string _mode;
    private readonly string? _rejectPath;
    private readonly IRecordWriter? _rejectPort;
    private List<object?[]> _portRows = [];
    private DataFileSink? _rejectSink;
    private CsvWriter? _rejectWriter;

    private BadRows(StepContext context, string mode, string? rejectPath, IRecordWriter? rejectPort)
    {
        _context = context;
        _mode = mode;
        _rejectPath = rejectPath;
        _rejectPort = rejectPort;
    }

    /// <summary>The named output bad rows go to with <c>on_error: reject</c> and no <c>reject_path</c>.</summary>
    public const string Port = "rejected";

    /// <summary>Rows skipped.</summary>
    public long Skipped { get; private set; }

    /// <summary>Rows rejected.</summary>
    public long Rejected { get; private set; }

    /// <summary>Whether bad rows stop the step.</summary>
    public bool Fails => _mode == "fail";

    /// <summary>Reads <c>on_error</c> and <c>reject_path</c>; <c>reject</c> without a path is a configuration error.</summary>
    public static BadRows FromOptions(StepContext context)
    {
        var mode = context.Options.GetChoice("on_error", "fail", "fail", "skip", "reject");
        var rejectPath = context.Options.GetString("reject_path");
        var port = string.IsNullOrWhiteSpace(rejectPath) ? context.GetOutput(Port) : null;
        if (mode == "reject" && string.IsNullOrWhiteSpace(rejectPath) && port is null)
            throw new StepException(ErrorKind.Configuration,
                $"The option 'on_error: reject' needs 'reject_path' (a CSV file for the bad rows), or a step that reads '{context.StepId}.{Port}'.");
        return new BadRows(context, mode, string.IsNullOrWhiteSpace(rejectPath) ? null : rejectPath, port);
    }

    /// <summary>Handles one bad row: throws for <c>fail</c>, else counts it (and writes it for <c>reject</c>).</summary>
    /// <param name="error">Where and what.</param>
    /// <param name="record">The row's text as read, when the source has it.</param>
    /// <param name="cancellationToken">Cancels writing the reject file.</param>
    public async ValueTask HandleAsync(DataError error, string? record, CancellationToken cancellationToken)
    {
        switch (_mode)
        {
            case "fail":
                throw error.ToException();
            case "skip":
                Skipped++;
                if (Skipped <= LoggedSkips)
                    _context.Log(LogLevel.Warning, $"Skipped a bad row: {error}" + (Skipped == LoggedSkips ? " (further skipped rows are only counted)" : ""));
                return;
            default:
                Rejected++;
                if (_rejectPort is not null)
                {
                    _portRows.Add([error.File, error.Number, error.Column, error.Message, record]);
                    if (_portRows.Count >= 256) await FlushPortAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }
                if (_rejectWriter is null)
                {
                    _rejectSink = await DataFileSink.OpenAsync(_context, "reject_path", _rejectPath!, overwrite: true, DataFileSink.Compression(_context.Options, _rejectPath!, "none"), cancellationToken).ConfigureAwait(false);
                    _rejectWriter = new CsvWriter(_rejectSink.Stream, CsvWriterSettings.Default);
                }
                await _rejectWriter.WriteAsync(new RecordBatch(RejectSchema, [[error.File, error.Number, error.Column, error.Message, record]]), cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private async ValueTask FlushPortAsync(CancellationToken cancellationToken)
    {
        if (_portRows.Count == 0) return;
        var batch = new RecordBatch(RejectSchema, _portRows);
        _portRows = [];
        await _rejectPort!.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Commits the reject file, publishes the counts and logs a summary. Call when the step succeeded.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_rejectPort is not null)
        {
            await FlushPortAsync(cancellationToken).ConfigureAwait(false);
            if (Rejected > 0) _context.Log(LogLevel.Warning, $"Rejected {Rejected} bad row{(Rejected == 1 ? "" : "s")} to the output '{Port}'.");
        }
        if (_rejectWriter is not null)
        {
            await _rejectWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
            await _rejectSink!.CommitAsync(cancellationToken).ConfigureAwait(false);
            _context.Log(LogLevel.Warning, $"Rejected {Rejected} bad row{(Rejected == 1 ? "" : "s")} to '{_rejectSink.Display}'.");
        }
        if (Skipped > 0)
            _context.Log(LogLevel.Warning, $"Skipped {Skipped} bad row{(Skipped == 1 ? "" : "s")}.");
        _context.SetOutput("skipped", Skipped);
        _context.SetOutput("rejected", Rejected);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_rejectSink is not null) await _rejectSink.DisposeAsync().ConfigureAwait(false);
    }
}
