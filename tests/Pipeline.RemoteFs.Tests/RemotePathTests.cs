namespace Pipeline.RemoteFs.Tests;

public sealed class RemotePathTests
{
    [Theory]
    [InlineData("/share", true)]
    [InlineData("/share/", true)]
    [InlineData("/share/dir/a.csv", true)]
    [InlineData("/SHARE/dir", true)]
    [InlineData("/shared/dir", false)]
    [InlineData("/shar", false)]
    [InlineData("share/dir", false)]
    [InlineData("/", false)]
    public void A_path_starts_with_a_segment_only_when_the_whole_first_segment_matches(string path, bool expected) =>
        Assert.Equal(expected, RemotePath.StartsWithSegment(path, "share", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void The_comparison_decides_case() =>
        Assert.False(RemotePath.StartsWithSegment("/Container/x", "container", StringComparison.Ordinal));

    [Theory]
    [InlineData("/share/dir/a.csv", "/dir/a.csv")]
    [InlineData("/share", "/")]
    [InlineData("/share/", "/")]
    [InlineData("/share//dir/./b", "/dir/b")]
    public void Without_its_first_segment_a_path_stays_absolute_and_normal(string path, string expected) =>
        Assert.Equal(expected, RemotePath.WithoutFirstSegment(path));
}
