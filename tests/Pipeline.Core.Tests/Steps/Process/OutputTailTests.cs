using Pipeline.Core.Steps.Process;

namespace Pipeline.Core.Tests.Steps.Process;

public sealed class OutputTailTests
{
    [Fact]
    public void Whole_lines_are_kept_while_they_fit()
    {
        var tail = new OutputTail(11);
        foreach (var line in new[] { "aaaa", "bbbb", "cccc" }) tail.Add(line);

        Assert.Equal("bbbb\ncccc", tail.Text);
        Assert.True(tail.Truncated);
    }

    [Fact]
    public void A_line_longer_than_the_limit_keeps_its_end_without_splitting_a_character()
    {
        var tail = new OutputTail(5);
        tail.Add("abcdé€"); // é is 2 bytes, € is 3

        Assert.Equal("é€", tail.Text);
    }

    [Fact]
    public void Last_lines_skip_blank_ones()
    {
        var tail = new OutputTail(1000);
        foreach (var line in new[] { "one", "", "two", "  ", "three" }) tail.Add(line);

        Assert.Equal(["two", "three"], tail.LastLines(2));
    }

    [Fact]
    public void A_zero_limit_keeps_nothing()
    {
        var tail = new OutputTail(0);
        tail.Add("x");

        Assert.Equal("", tail.Text);
    }
}
