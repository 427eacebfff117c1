using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

public sealed class JoinStepTests
{
    private static Table Orders() => new Table("order_id", "customer_id", "amount")
        .Row(1L, 10L, 5m).Row(2L, 20L, 7m).Row(3L, 99L, 9m).Row(4L, 10L, 1m).Row(5L, null, 2m);

    private static Table Customers() => new Table("customer_id", "name", "amount")
        .Row(10L, "Ada", "c10").Row(20L, "Alan", "c20").Row(30L, "Grace", "c30");

    private static TransformRun Join(string kind) =>
        new TransformRun(new JoinStep()).With("on", "customer_id").With("kind", kind).Input("orders", Orders()).Input("customers", Customers());

    [Fact]
    public async Task Inner_join_keeps_matches_with_the_key_once_and_a_suffix_for_a_taken_name()
    {
        var run = await Join("inner").RunAsync();

        Assert.Equal(["order_id", "customer_id", "amount", "name", "amount_right"], run.Columns);
        Assert.Equal([[1L, 10L, 5m, "Ada", "c10"], [2L, 20L, 7m, "Alan", "c20"], [4L, 10L, 1m, "Ada", "c10"]], run.Rows);
    }

    [Fact]
    public async Task Left_join_keeps_unmatched_left_rows_and_a_null_key_never_matches()
    {
        var run = await Join("left").RunAsync();

        Assert.Equal([1L, 2L, 3L, 4L, 5L], run.Column("order_id"));
        Assert.Equal(["Ada", "Alan", null, "Ada", null], run.Column("name"));
    }

    [Fact]
    public async Task Full_join_adds_the_unmatched_right_rows_with_their_key()
    {
        var run = await Join("full").RunAsync();

        Assert.Equal(6, run.Rows.Count);
        Assert.Equal([null, 30L, "Grace"], new[] { run.Rows[^1][0], run.Rows[^1][1], run.Rows[^1][3] });
    }

    [Fact]
    public async Task A_right_row_with_a_null_key_matches_nothing_but_a_full_join_keeps_it()
    {
        var customers = new Table("customer_id", "name").Row(10L, "Ada").Row(null, "Nobody");

        var full = await new TransformRun(new JoinStep()).With("on", "customer_id").With("kind", "full").Input("orders", Orders()).Input("customers", customers).RunAsync();
        var inner = await new TransformRun(new JoinStep()).With("on", "customer_id").Input("orders", Orders()).Input("customers", customers).RunAsync();

        Assert.Equal(1, full.Column("name").Count(n => (string?)n == "Nobody"));
        Assert.DoesNotContain("Nobody", inner.Column("name"));
    }

    [Fact]
    public async Task Right_join_keeps_every_right_row()
    {
        var run = await Join("right").RunAsync();

        Assert.Equal(["Ada", "Alan", "Ada", "Grace"], run.Column("name"));
    }

    [Fact]
    public async Task Keys_of_different_names_and_types_are_paired_by_a_mapping()
    {
        var left = new Table("cust", "n").Row(10, "int").Row(20.0m, "decimal");
        var right = new Table("id", "name").Row(10L, "Ada").Row(20L, "Alan");

        var run = await new TransformRun(new JoinStep()).With("on", new Dictionary<string, object?> { ["cust"] = "id" }).Input("l", left).Input("r", right).RunAsync();

        Assert.Equal(["cust", "n", "id", "name"], run.Columns);
        Assert.Equal(["Ada", "Alan"], run.Column("name"));
    }

    [Fact]
    public async Task The_right_option_chooses_the_in_memory_side()
    {
        var run = await new TransformRun(new JoinStep()).With("on", "customer_id").With("right", "orders")
            .Input("orders", Orders()).Input("customers", Customers()).RunAsync();

        Assert.Equal(["customer_id", "name", "amount", "order_id", "amount_right"], run.Columns);
    }

    [Fact]
    public async Task Past_the_budget_with_spill_false_it_refuses_naming_the_budget()
    {
        var big = Generated.Rows(RecordSchema.Of("customer_id", "name"), 10_000, i => [i, $"customer {i}"]);

        var ex = await new TransformRun(new JoinStep()).With("on", "customer_id").With("spill", "false").With("memory_budget", "64KB")
            .Input("orders", Orders()).Input("customers", big).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("The right input 'customers'", ex.Message);
        Assert.Contains("memory budget of 64 KB (memory_budget)", ex.Message);
    }

    [Theory]
    [InlineData("inner")]
    [InlineData("left")]
    [InlineData("full")]
    public async Task Past_the_budget_it_joins_hash_partitions_on_disk_with_the_same_result(string kind)
    {
        using var temp = new TempDirectory();
        const int customers = 6_000;
        const int orders = 9_000;
        var right = () => Generated.Rows(RecordSchema.Of("customer_id", "name"), customers, i => [i * 2, $"customer {i * 2}"]);
        var left = () => Generated.Rows(RecordSchema.Of("order_id", "customer_id"), orders, i => [i, i % 7000]);

        var spilled = await new TransformRun(new JoinStep()).With("on", "customer_id").With("kind", kind).With("memory_budget", "128KB").With("temp_directory", temp.Path)
            .Input("orders", left()).Input("customers", right()).RunAsync();
        var inMemory = await new TransformRun(new JoinStep()).With("on", "customer_id").With("kind", kind)
            .Input("orders", left()).Input("customers", right()).RunAsync();

        Assert.Equal(true, spilled.Result("spilled"));
        Assert.Equal(false, inMemory.Result("spilled"));
        static string Key(object?[] r) => string.Join("|", r.Select(v => v?.ToString() ?? "NULL"));
        Assert.Equal(inMemory.Rows.Select(Key).Order(), spilled.Rows.Select(Key).Order());
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public async Task Two_inputs_fed_by_one_producer_do_not_wait_on_each_other()
    {
        // One producer writes to both inputs through queues of two batches, as the engine's fan-out does: the join
        // must read the left input while it loads the right one, or the producer (and the join) would wait forever.
        var left = System.Threading.Channels.Channel.CreateBounded<RecordBatch>(2);
        var right = System.Threading.Channels.Channel.CreateBounded<RecordBatch>(2);
        var schema = RecordSchema.Of("k", "v");
        var producer = Task.Run(async () =>
        {
            for (long i = 0; i < 200; i++)
            {
                var batch = new RecordBatch(schema, [[i, i * 10]]);
                await left.Writer.WriteAsync(batch);
                await right.Writer.WriteAsync(batch);
            }
            left.Writer.Complete();
            right.Writer.Complete();
        });

        var run = await new TransformRun(new JoinStep()).With("on", "k").With("memory_budget", "4KB").With("spill", "true")
            .Input("l", left.Reader.ReadAllAsync()).Input("r", right.Reader.ReadAllAsync())
            .RunAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await producer;

        Assert.Equal(200, run.Rows.Count);
    }

    [Fact]
    public async Task A_join_needs_two_inputs_and_an_on_option()
    {
        var one = await new TransformRun(new JoinStep()).With("on", "k").Input("a", new Table("k")).FailsAsync(ErrorKind.Configuration);
        var noKey = await new TransformRun(new JoinStep()).Input("a", new Table("k")).Input("b", new Table("k")).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("reads 2 inputs", one.Message);
        Assert.Contains("'on'", noKey.Message);
    }

    [Fact]
    public async Task A_key_missing_on_one_side_is_named()
    {
        var ex = await new TransformRun(new JoinStep()).With("on", "customer_id").Input("orders", Orders()).Input("other", new Table("customer", "x").Row(1L, 2L))
            .FailsAsync(ErrorKind.Configuration);

        Assert.Contains("names the column 'customer_id'", ex.Message);
    }
}
