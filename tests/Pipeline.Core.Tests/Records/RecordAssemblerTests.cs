using Pipeline.Core.Records;

namespace Pipeline.Core.Tests;

public sealed class RecordAssemblerTests
{
    [Fact]
    public void Rows_with_the_same_names_share_one_schema_and_batch()
    {
        var assembler = new RecordAssembler(batchSize: 10);
        assembler.Add(["a", "b"], [1, "x"]);
        assembler.Add(["a", "b"], [2, "y"]);
        assembler.Flush();

        Assert.True(assembler.TryTake(out var batch));
        Assert.Equal(["a", "b"], batch.Schema.Fields.Select(f => f.Name));
        Assert.Equal([1, 2], batch.Rows.Select(r => (int)r[0]!));
        Assert.False(assembler.TryTake(out _));
    }

    [Fact]
    public void A_full_batch_is_completed_without_a_flush()
    {
        var assembler = new RecordAssembler(batchSize: 2);
        assembler.Add(["n"], [1]);
        Assert.False(assembler.TryTake(out _));
        assembler.Add(["n"], [2]);
        Assert.True(assembler.TryTake(out var batch));
        Assert.Equal(2, batch.Count);
        Assert.Equal(0, assembler.Pending);
    }

    [Fact]
    public void A_row_with_other_names_starts_a_new_schema_and_completes_the_batch_before_it()
    {
        var assembler = new RecordAssembler();
        assembler.Add(["a"], [1]);
        assembler.Add(["b", "c"], [2, 3]);
        assembler.Flush();

        Assert.True(assembler.TryTake(out var first));
        Assert.True(assembler.TryTake(out var second));
        Assert.Equal(["a"], first.Schema.Fields.Select(f => f.Name));
        Assert.Equal(["b", "c"], second.Schema.Fields.Select(f => f.Name));
        Assert.Equal(2L, assembler.RowCount);
    }

    [Fact]
    public void A_name_repeated_in_one_row_keeps_its_first_value()
    {
        var assembler = new RecordAssembler();
        assembler.Add(["Name", "name", "size"], ["first", "second", 3]);
        assembler.Flush();

        Assert.True(assembler.TryTake(out var batch));
        Assert.Equal(["Name", "size"], batch.Schema.Fields.Select(f => f.Name));
        Assert.Equal(["first", 3], batch.Rows[0]);
    }

    [Fact]
    public void Names_and_values_of_different_lengths_are_refused()
    {
        var assembler = new RecordAssembler();
        var ex = Assert.Throws<ArgumentException>(() => assembler.Add(["a", "b"], [1]));
        Assert.Contains("2 field names but 1 values", ex.Message);
    }
}
