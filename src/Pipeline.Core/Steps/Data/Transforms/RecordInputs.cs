using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Pipeline.Core.Execution;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>How transforms read their inputs and where they write: the checks every transform makes on its inputs,
/// one stream of all inputs in order, and all inputs at once (so that two inputs fed by one producer never wait on
/// each other).</summary>
internal static class RecordInputs
{
    /// <summary>The inputs, checked to be between <paramref name="min"/> and <paramref name="max"/> in number.</summary>
    public static IReadOnlyList<KeyValuePair<string, IAsyncEnumerable<RecordBatch>>> Require(StepContext context, string type, int min = 1, int max = int.MaxValue)
    {
        var inputs = context.Inputs.ToArray();
        if (inputs.Length < min || inputs.Length > max)
        {
            var wanted = min == max ? $"{min} input{(min == 1 ? "" : "s")}" : max == int.MaxValue ? $"at least {(min == 1 ? "one input" : $"{min} inputs")}" : $"{min} to {max} inputs";
            throw new StepException(ErrorKind.Configuration,
                $"A '{type}' step reads {wanted} (input: ...), but the step '{context.StepId}' has {inputs.Length}" +
                (inputs.Length == 0 ? "." : $": {string.Join(", ", inputs.Select(i => i.Key))}."));
        }
        return inputs;
    }

    /// <summary>Every input's batches, one input after the other.</summary>
    public static async IAsyncEnumerable<RecordBatch> Concatenated(StepContext context, string type, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var (_, input) in Require(context, type))
        {
            await foreach (var batch in input.WithCancellation(cancellationToken).ConfigureAwait(false))
                yield return batch;
        }
    }

    /// <summary>
    /// The batches of several inputs as they arrive, tagged with the input's position; a null batch says that input
    /// ended. Every input is read at once, so a producer that feeds two of them is never held up by the one not read.
    /// </summary>
    public static async IAsyncEnumerable<(int Input, RecordBatch? Batch)> Merged(
        IReadOnlyList<IAsyncEnumerable<RecordBatch>> inputs, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<(int, RecordBatch?)>(new BoundedChannelOptions(Math.Max(2, inputs.Count))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var remaining = inputs.Count;
        var pumps = inputs.Select((input, index) => Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in input.WithCancellation(stop.Token).ConfigureAwait(false))
                    await channel.Writer.WriteAsync((index, batch), stop.Token).ConfigureAwait(false);
                await channel.Writer.WriteAsync((index, null), stop.Token).ConfigureAwait(false);
                if (Interlocked.Decrement(ref remaining) == 0) channel.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
            }
        }, CancellationToken.None)).ToArray();
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return item;
        }
        finally
        {
            stop.Cancel();
            channel.Writer.TryComplete();
            while (channel.Reader.TryRead(out _)) { }
            try
            {
                await Task.WhenAll(pumps).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A pump's failure already reached the reader through the channel.
            }
        }
    }

    /// <summary>The step's main output, or a writer that drops everything when no step reads it.</summary>
    public static IRecordWriter Output(StepContext context) => context.Output ?? Discard.Instance;

    /// <summary>Drops what is written: the step still runs (and counts) when nobody reads its records.</summary>
    internal sealed class Discard : IRecordWriter
    {
        public static readonly Discard Instance = new();

        public ValueTask WriteAsync(RecordBatch batch, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
