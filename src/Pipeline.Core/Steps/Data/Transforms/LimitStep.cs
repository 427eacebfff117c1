using Pipeline.Core.Execution;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// <c>limit</c>: passes on the first <c>count</c> rows (after skipping <c>offset</c>) and stops reading: the
/// producer is released rather than made to produce rows nobody reads.
/// </summary>
public sealed class LimitStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "limit",
        "Passes on the first rows (after skipping some) and stops reading.",
        [
            new StepOptionInfo("count", StepOptionType.Integer, "How many rows to pass on.") { Required = true },
            new StepOptionInfo("offset", StepOptionType.Integer, "How many rows to skip first.") { Default = "0" },
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var count = context.Options.GetInt64("count", -1);
        var offset = context.Options.GetInt64("offset", 0);
        if (count < 0) throw new StepException(ErrorKind.Configuration, $"The option 'count' must be 0 or more, not {count}.");
        if (offset < 0) throw new StepException(ErrorKind.Configuration, $"The option 'offset' must be 0 or more, not {offset}.");
        var output = RecordInputs.Output(context);
        long seen = 0;
        long written = 0;
        if (count > 0)
        {
            await foreach (var batch in RecordInputs.Concatenated(context, Info.Name, cancellationToken).ConfigureAwait(false))
            {
                var start = (int)Math.Clamp(offset - seen, 0, batch.Count);
                var take = (int)Math.Min(batch.Count - start, count - written);
                seen += batch.Count;
                if (take > 0)
                {
                    var result = start == 0 && take == batch.Count
                        ? batch
                        : new RecordBatch(batch.Schema, batch.Rows.Skip(start).Take(take).ToList());
                    await output.WriteAsync(result, cancellationToken).ConfigureAwait(false);
                    written += take;
                }
                if (written >= count) break;
            }
        }
        else
        {
            RecordInputs.Require(context, Info.Name);
        }
        context.Metrics.AddRows(written);
    }
}
