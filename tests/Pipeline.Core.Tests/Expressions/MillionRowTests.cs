using Pipeline.Core.Expressions;

namespace Pipeline.Core.Tests.Expressions;

/// <summary>A compiled filter runs over many rows without a tree walk or per-row garbage (no timing is asserted).</summary>
public sealed class MillionRowTests
{
    private const int Rows = 1_000_000;

    [Fact]
    public void Filter_evaluates_a_million_rows_without_allocating_per_row()
    {
        var filter = ExpressionCompiler.CompileCondition("amount > 500 and country = 'DE'", ["amount", "country"]);
        // A mix of what rows carry: numbers as text (CSV), longs, decimals, doubles, NULLs and other countries.
        object?[][] sample =
        [
            ["600", "DE"], ["500", "DE"], [750L, "DE"], [499.99m, "DE"], [501.5d, "DE"],
            ["1200.50", "FR"], [null, "DE"], ["", "DE"], [900L, null], [100L, "de"],
        ];
        const int expectedPerCycle = 3; // "600", 750, 501.5 with DE

        filter.IsTrue(sample[0]); // compile the condition delegate before measuring
        var before = GC.GetAllocatedBytesForCurrentThread();
        var matches = 0;
        for (var i = 0; i < Rows; i++)
        {
            if (filter.IsTrue(sample[i % sample.Length])) matches++;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Rows / sample.Length * expectedPerCycle, matches);
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated over {Rows} rows");
    }

    [Fact]
    public void Evaluate_allocates_nothing_for_a_boolean_result()
    {
        var filter = ExpressionCompiler.Compile("amount * 1.19 BETWEEN 100 AND 1000 and country IN ('DE', 'AT', 'CH')", ["amount", "country"]);
        object?[] row = ["600", "AT"];
        Assert.Equal(true, filter.Evaluate(row));
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++) filter.Evaluate(row);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 * 1024);
    }
}
