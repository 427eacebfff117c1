using System.Text;
using Pipeline.Core.Definitions;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>Text built to exhaust the loader (alias bombs, deep nesting) is refused with a clear error, quickly and
/// in little memory. The timeouts only stop a regression from hanging the suite.</summary>
public sealed class LimitsTests
{
    /// <summary>"Billion laughs": each level is ten aliases of the one before.</summary>
    private static string Laughs(int levels, string use)
    {
        var sb = new StringBuilder("pipeline_id: p\nvariables: {}\nx0: &l0 [ha, ha, ha, ha, ha, ha, ha, ha, ha, ha]\n");
        for (var i = 1; i < levels; i++)
            sb.Append($"x{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]\n");
        sb.Append(use.Replace("LAST", $"*l{levels - 1}"));
        return sb.ToString();
    }

    [Fact(Timeout = 60_000)]
    public async Task An_alias_bomb_in_options_is_refused_before_it_expands()
    {
        // 10^10 values once expanded.
        var yaml = Laughs(10, """
            steps:
              - id: a
                type: test.options
                with: { target: t, extra: LAST }

            """);
        var errors = await Task.Run(() => Problems.Of(yaml));
        var tooLarge = Assert.Single(errors, e => e.Code == "too-large");
        Assert.Contains(PipelineYaml.MaxNodes.ToString("N0"), tooLarge.Message);
        Assert.Contains("aliases", tooLarge.Message);
        // Reported at the option whose value expands, not somewhere inside the anchors.
        Assert.Equal((16, 24), (tooLarge.Location!.Line, tooLarge.Location.Column));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_alias_bomb_repeated_over_many_steps_is_refused_before_it_expands()
    {
        var yaml = Laughs(6, """
            s: &s { id: a, type: test.options, with: { target: t, extra: LAST } }
            steps: [*s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s]

            """);
        var errors = await Task.Run(() => Problems.Of(yaml));
        Assert.Contains(errors, e => e.Code == "too-large");
    }

    [Fact(Timeout = 60_000)]
    public async Task An_alias_bomb_used_as_a_key_is_refused_without_hashing_it()
    {
        // YamlDotNet's representation model hashes such keys: about 40 s for 9 levels.
        var yaml = Laughs(9, """
            ? LAST
            : 1
            steps: [{id: a, type: log, with: {message: hi}}]

            """);
        var errors = await Task.Run(() => Problems.Of(yaml));
        Assert.Contains(errors, e => e.Code == "bad-key" && e.Location!.Line == 12 && e.Location.Column == 3);
    }

    [Fact]
    public void Aliases_used_a_few_times_are_fine()
    {
        var definition = Problems.Valid("""
            pipeline_id: p
            steps:
              - id: a
                type: test.options
                with:
                  target: t
                  extra: [&one [ha, ha, ha], &two [*one, *one, *one], [*two, *two, *two]]
            """);
        var extra = Assert.IsAssignableFrom<IReadOnlyList<object?>>(definition.Steps[0].With["extra"]);
        var last = Assert.IsAssignableFrom<IReadOnlyList<object?>>(extra[2]);
        Assert.Equal(3, last.Count);
        Assert.Equal("ha", ((IReadOnlyList<object?>)((IReadOnlyList<object?>)last[2]!)[2]!)[2]);
    }

    [Fact]
    public void A_long_file_without_aliases_is_not_limited_by_the_alias_cap()
    {
        var steps = Enumerable.Range(0, 12_000).Select(i => $"  - {{ id: s{i}, type: test.options, with: {{ target: t{i}, names: [a, b, c, d, e, f, g, h, i, j] }} }}");
        var definition = Problems.Valid("pipeline_id: big\nsteps:\n" + string.Join("\n", steps) + "\n");
        Assert.Equal(12_000, definition.Steps.Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task Deep_nesting_in_the_text_is_refused_quickly()
    {
        // YamlDotNet alone takes minutes over 100,000 nested brackets (its work grows with the square of the depth).
        var yaml = "pipeline_id: p\nsteps: []\nx: " + new string('[', 100_000) + new string(']', 100_000) + "\n";
        var error = await Task.Run(() => Problems.One(yaml));
        // The root mapping is the first level, so the 64th bracket is one too many.
        error.Is("too-deep", 3, 3 + PipelineYaml.MaxDepth, PipelineYaml.MaxDepth.ToString());
    }

    [Fact]
    public void Deep_nesting_through_aliases_is_refused_so_nothing_walks_too_deep()
    {
        var sb = new StringBuilder("pipeline_id: p\nsteps: []\na0: &a0 [x]\n");
        for (var i = 1; i <= PipelineYaml.MaxDepth + 5; i++) sb.Append($"a{i}: &a{i} [*a{i - 1}]\n");
        var error = Problems.One(sb.ToString());
        Assert.Equal("too-deep", error.Code);
        Assert.Contains("aliases included", error.Message);
        Assert.Equal(3 + PipelineYaml.MaxDepth, error.Location!.Line);
    }
}
