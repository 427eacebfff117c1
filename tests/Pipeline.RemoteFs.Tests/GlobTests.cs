using Pipeline.RemoteFs;

namespace Pipeline.RemoteFs.Tests;

public sealed class GlobTests
{
    [Theory]
    [InlineData("*.csv", "a.csv", true)]
    [InlineData("*.csv", "dir/a.csv", true)] // no slash in the pattern: matched against the name
    [InlineData("*.csv", "a.txt", false)]
    [InlineData("dir/*.csv", "dir/a.csv", true)]
    [InlineData("dir/*.csv", "dir/sub/a.csv", false)]
    [InlineData("**/*.csv", "dir/sub/a.csv", true)]
    [InlineData("**/*.csv", "a.csv", true)]
    [InlineData("data-?.{csv,json}", "data-1.json", true)]
    [InlineData("data-[0-3].csv", "data-4.csv", false)]
    [InlineData("data-[!0-3].csv", "data-4.csv", true)]
    public void Glob_matches_like_a_shell(string pattern, string path, bool expected) =>
        Assert.Equal(expected, Glob.Compile(pattern).IsMatch(path));

    [Fact]
    public void Unclosed_bracket_is_an_error_with_its_position()
    {
        var ex = Assert.Throws<ArgumentException>(() => Glob.Compile("data[.csv"));
        Assert.Contains("position 5", ex.Message);
    }
}
