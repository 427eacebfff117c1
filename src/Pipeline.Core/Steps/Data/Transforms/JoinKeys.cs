using Pipeline.Core.Execution;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>The inputs and the <c>on</c> option of <c>join</c> and <c>lookup</c>.</summary>
internal static class JoinKeys
{
    /// <summary>
    /// <c>on: id</c> or <c>on: [country, id]</c> (the same names on both sides), or <c>on: { customer_id: id }</c>
    /// (left name: right name).
    /// </summary>
    public static (IReadOnlyList<string> Left, IReadOnlyList<string> Right) Parse(StepOptions options)
    {
        switch (options.Get("on"))
        {
            case IReadOnlyDictionary<string, object?> map when map.Count > 0:
                var pairs = options.GetStringMap("on");
                return (pairs.Keys.ToArray(), pairs.Values.ToArray());
            case not null and not IReadOnlyDictionary<string, object?>:
                var names = options.GetStringList("on").Where(n => n.Length > 0).ToArray();
                if (names.Length > 0) return (names, names);
                break;
        }
        throw new StepException(ErrorKind.Configuration, "The option 'on' must name the key columns: on: id, on: [country, id], or on: { left_column: right_column }.");
    }

    /// <summary>The left and right inputs: the right one is named by <c>right</c>, else it is the second.</summary>
    public static ((string Name, IAsyncEnumerable<RecordBatch> Stream) Left, (string Name, IAsyncEnumerable<RecordBatch> Stream) Right) Inputs(StepContext context, string type, string rightOption)
    {
        var inputs = RecordInputs.Require(context, type, 2, 2);
        var rightIndex = 1;
        if (context.Options.GetString(rightOption) is { Length: > 0 } right)
        {
            rightIndex = inputs.Select(i => i.Key).ToList().FindIndex(k => string.Equals(k, right, StringComparison.Ordinal));
            if (rightIndex < 0)
                throw new StepException(ErrorKind.Configuration, $"The option '{rightOption}' names '{right}', which is not one of the step's inputs ({string.Join(", ", inputs.Select(i => i.Key))}).");
        }
        var l = inputs[1 - rightIndex];
        var r = inputs[rightIndex];
        return ((l.Key, l.Value), (r.Key, r.Value));
    }
}
