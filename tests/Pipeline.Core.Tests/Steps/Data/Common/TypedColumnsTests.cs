using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Common;

namespace Pipeline.Core.Tests.Steps.Data.Common;

public sealed class TypedColumnsTests
{
    private static TypedColumns Text(params string[] names) =>
        new(names, new Dictionary<string, FieldType>(), infer: false, new TextValues(null));

    [Fact]
    public void A_code_that_comes_back_after_others_is_the_same_string_as_before()
    {
        var columns = Text("country");

        var first = columns.Text(0, "DE");
        columns.Text(0, "FR");
        columns.Text(0, "US");
        var again = columns.Text(0, "DE".AsSpan());

        Assert.Equal("DE", again);
        Assert.Same(first, again);
    }

    [Fact]
    public void Values_that_rarely_repeat_are_still_read_right_once_reuse_stops()
    {
        var columns = Text("customer");

        for (var i = 0; i < 10_000; i++) Assert.Equal($"customer_{i}", columns.Text(0, $"customer_{i}"));
        Assert.Equal("customer_5", columns.Text(0, "customer_5"));
        Assert.Equal("customer_5", columns.Text(0, "customer_5"));
    }

    [Fact]
    public void Texts_that_share_a_slot_or_differ_in_length_are_never_mixed_up()
    {
        var columns = Text("code");
        var values = Enumerable.Range(0, 500).Select(i => i % 7 == 0 ? new string('x', 40 + i % 3) : $"c{i % 97}").ToArray();

        foreach (var value in values) Assert.Equal(value, columns.Text(0, value));
    }
}
