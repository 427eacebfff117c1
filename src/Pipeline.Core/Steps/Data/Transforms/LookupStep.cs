using Pipeline.Core.Execution;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>
/// <c>lookup</c>: enriches each row of the main input with columns of the one row of a second input (a small table
/// held in memory) that has the same key. Rows without a match keep NULLs, are dropped, or fail the step; a key
/// found twice in the lookup input fails the step unless told which row to use. A lookup table past the memory
/// budget is refused (a <c>join</c> can spill).
/// </summary>
public sealed class LookupStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "lookup",
        "Adds columns from the matching row of a second (small) input, by key.",
        [
            new StepOptionInfo("on", StepOptionType.Any, "The key columns: a name or list of names found on both sides, or a mapping main_column: lookup_column.") { Required = true },
            new StepOptionInfo("from", StepOptionType.String, "Which input is the lookup table.") { Default = "the second input" },
            new StepOptionInfo("fields", StepOptionType.List, "The lookup table's columns to add.") { Default = "every column but the keys" },
            new StepOptionInfo("missing", StepOptionType.String, "What to do with a row that has no match: keep it (NULLs in the added columns), drop it, or fail.") { Default = "keep", AllowedValues = ["keep", "drop", "fail"] },
            new StepOptionInfo("duplicates", StepOptionType.String, "What to do when the lookup table has a key twice: fail, or use the first or last row.") { Default = "fail", AllowedValues = ["fail", "first", "last"] },
            new StepOptionInfo("suffix", StepOptionType.String, "Added to the name of an added column whose name the main input has.") { Default = "_right" },
            MemoryBudget.Info("the lookup table"),
        ])
    {
        ConsumesRecords = true,
        ProducesRecords = true,
    };

    /// <inheritdoc />
    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var (leftOn, rightOn) = JoinKeys.Parse(context.Options);
        var missing = context.Options.GetChoice("missing", "keep", "keep", "drop", "fail");
        var duplicates = context.Options.GetChoice("duplicates", "fail", "fail", "first", "last") switch
        {
            "first" => DuplicateKeys.First,
            "last" => DuplicateKeys.Last,
            _ => DuplicateKeys.Fail,
        };
        var fields = context.Options.GetStringList("fields");
        var (main, table) = JoinKeys.Inputs(context, Info.Name, "from");
        var join = new HashJoin(context, Info.Name, missing == "drop" ? JoinKind.Inner : JoinKind.Left, leftOn, rightOn, RecordInputs.Output(context))
        {
            AllowSpill = false,
            Duplicates = duplicates,
            FailOnMissing = missing == "fail",
            Fields = fields.Count > 0 ? fields : null,
            Suffix = context.Options.GetString("suffix", "_right")!,
        };
        await join.RunAsync(main.Name, main.Stream, table.Name, table.Stream, cancellationToken).ConfigureAwait(false);
        context.Metrics.AddRows(join.Rows);
        context.SetOutput("unmatched", join.Unmatched);
        if (join.Unmatched > 0)
            context.Log(Observability.LogLevel.Information, $"{join.Unmatched} row(s) found no match in '{table.Name}'{(missing == "drop" ? " and were dropped" : "")}.");
    }
}
