namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// <c>join</c>: joins two inputs on key columns (inner, left, right or full). A hash join: the right input, which
/// should be the smaller, is held in memory; past the memory budget the join spills both inputs to hash partitions
/// on disk, or, with <c>spill: false</c>, refuses with a message naming the budget.
/// </summary>
public sealed class JoinStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "join",
        "Joins two inputs on key columns (inner, left, right, full); a hash join holding the right input in memory, spilling to disk past the budget.",
        [
            new StepOptionInfo("on", StepOptionType.Any, "The key columns: a name or list of names found on both sides, or a mapping left_column: right_column.") { Required = true },
            new StepOptionInfo("kind", StepOptionType.String, "Which rows to keep besides matches: inner (none), left (left rows without a match), right, full (both).") { Default = "inner", AllowedValues = ["inner", "left", "right", "full"] },
            new StepOptionInfo("right", StepOptionType.String, "Which input is the right (in-memory) side.") { Default = "the second input" },
            new StepOptionInfo("suffix", StepOptionType.String, "Added to the name of a right column whose name a left column has.") { Default = "_right" },
            new StepOptionInfo("spill", StepOptionType.Boolean, "Spill to disk past the memory budget; false refuses instead.") { Default = "true" },
            MemoryBudget.Info("the right input (and left rows that arrive before it is loaded)"),
            SpillDirectory.Info,
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var (leftOn, rightOn) = JoinKeys.Parse(context.Options);
        var kind = context.Options.GetChoice("kind", "inner", "inner", "left", "right", "full") switch
        {
            "left" => JoinKind.Left,
            "right" => JoinKind.Right,
            "full" => JoinKind.Full,
            _ => JoinKind.Inner,
        };
        var (left, right) = JoinKeys.Inputs(context, Info.Name, "right");
        var join = new HashJoin(context, Info.Name, kind, leftOn, rightOn, RecordInputs.Output(context))
        {
            AllowSpill = context.Options.GetBoolean("spill", true),
            Suffix = context.Options.GetString("suffix", "_right")!,
        };
        await join.RunAsync(left.Name, left.Stream, right.Name, right.Stream, cancellationToken).ConfigureAwait(false);
        context.Metrics.AddRows(join.Rows);
        context.SetOutput("spilled", join.Spilled);
    }
}
