using System.Text;
using Pipeline.Core.Definitions;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>YAML that cannot be read: each problem is reported once, at the line and column where it stands in the
/// text, even where YamlDotNet reports another place.</summary>
public sealed class YamlSyntaxTests
{
    // Tabs are written as '→' below so that the layouts stay visible.
    private static string Tabs(string yaml) => yaml.Replace('→', '\t');

    [Fact]
    public void A_tab_indenting_a_step_key_is_reported_on_its_own_line()
    {
        // YamlDotNet reports this at line 3 (the value before the tab).
        var error = Problems.One(Tabs("""
            pipeline_id: p
            steps:
              - id: a
            →type: log
            """));
        error.Is("yaml-syntax", 4, 1, "tab", "spaces");
    }

    [Fact]
    public void A_tab_indenting_a_nested_key_is_reported_on_its_own_line()
    {
        // YamlDotNet reports this at line 1, column 1.
        var error = Problems.One(Tabs("""
            pipeline_id: p
            steps:
              - id: a
                type: log
                with:
            →  message: hi
            """));
        error.Is("yaml-syntax", 6, 1, "tab");
    }

    [Fact]
    public void A_tab_after_spaces_in_an_indentation_is_reported_at_the_tab()
    {
        var error = Problems.One(Tabs("""
            pipeline_id: p
            steps:
              - id: a
              →  type: log
            """));
        error.Is("yaml-syntax", 4, 3, "tab");
    }

    [Fact]
    public void A_tab_indenting_a_top_level_key_is_reported_on_its_own_line()
    {
        var error = Problems.One(Tabs("""
            pipeline_id: p
            →steps: []
            """));
        error.Is("yaml-syntax", 2, 1, "tab");
    }

    [Fact]
    public void A_tab_inside_a_block_text_before_the_bad_tab_is_not_blamed()
    {
        // Line 4 holds a tab after the block's indentation: that is text, and valid.
        var error = Problems.One(Tabs("""
            pipeline_id: p
            description: |
              first line
              →indented with a tab
            steps:
              - id: a
            →  type: log
            """));
        error.Is("yaml-syntax", 7, 1, "tab");
    }

    [Fact]
    public void A_tab_is_found_in_text_with_windows_line_ends()
    {
        var error = Problems.One("pipeline_id: p\r\nsteps:\r\n  - id: a\r\n\ttype: log\r\n");
        error.Is("yaml-syntax", 4, 1, "tab");
    }

    [Fact]
    public void An_unclosed_brace_followed_by_more_steps_is_reported_where_it_opens()
    {
        // YamlDotNet throws InvalidOperationException here, with no position at all.
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - id: a
                type: log
                with: { message: hi
              - id: b
                type: log
            """);
        error.Is("yaml-syntax", 5, 11, "'{'", "never closed", "'}'");
    }

    [Fact]
    public void An_unclosed_bracket_followed_by_more_steps_is_reported_where_it_opens()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - id: a
                type: log
                depends_on: [b, c
              - id: b
                type: log
            """);
        error.Is("yaml-syntax", 5, 17, "'['", "never closed", "']'");
    }

    [Fact]
    public void An_unclosed_bracket_at_the_end_of_the_text_is_reported_where_it_opens()
    {
        // YamlDotNet reports line 3, past the end of this two-line text.
        var error = Problems.One("pipeline_id: p\nsteps: [");
        error.Is("yaml-syntax", 2, 8, "'['", "never closed");
    }

    [Fact]
    public void A_brace_closed_by_a_bracket_is_the_one_reported()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps: [{id: a, type: log]
            """);
        error.Is("yaml-syntax", 2, 9, "'{'", "never closed");
    }

    [Fact]
    public void Brackets_inside_quotes_and_comments_do_not_count()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - id: a
                type: log
                with: { message: "a } in quotes", level: 'it''s ]' # a } in a comment
              - id: b
            """);
        error.Is("yaml-syntax", 5, 11, "'{'", "never closed");
    }

    [Fact]
    public void An_error_inside_a_closed_flow_collection_keeps_its_own_position()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps: [{id: a, type: log: x}]
            """);
        Assert.Equal("yaml-syntax", error.Code);
        Assert.Equal(2, error.Location!.Line);
        Assert.DoesNotContain("never closed", error.Message);
        Assert.InRange(error.Location.Column, 20, 26);
    }

    [Fact]
    public void A_very_long_single_line_with_an_unclosed_bracket_is_reported_inside_the_line()
    {
        var steps = string.Join(", ", Enumerable.Range(0, 2000).Select(i => $"{{id: s{i}, type: log, with: {{message: m}}}}"));
        var yaml = "{pipeline_id: p, steps: [" + steps + "}";
        Assert.True(yaml.Length > 80_000);
        var error = Problems.One(yaml);
        error.Is("yaml-syntax", 1, 25, "'['", "never closed");
    }

    [Fact]
    public void An_error_at_the_end_of_a_very_long_line_is_reported_at_its_column_not_past_the_end()
    {
        var yaml = "pipeline_id: " + new string('x', 50_000) + ": y";
        var error = Problems.One(yaml);
        Assert.Equal("yaml-syntax", error.Code);
        Assert.Equal(1, error.Location!.Line);
        Assert.Equal(50_014, error.Location.Column);
    }

    [Fact]
    public void An_error_past_the_end_of_the_text_is_moved_to_the_end_of_the_last_line()
    {
        var error = Problems.One("pipeline_id: p\nsteps: \"unclosed");
        Assert.Equal("yaml-syntax", error.Code);
        Assert.Equal(2, error.Location!.Line);
        Assert.InRange(error.Location.Column, 1, "steps: \"unclosed".Length + 1);
    }

    [Fact]
    public void Wrong_indentation_is_reported_at_the_line_that_breaks_it()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - id: a
               type: log
            """);
        error.Is("yaml-syntax", 4, 4, "YAML syntax");
    }

    [Fact]
    public void The_message_carries_no_position_of_yamldotnet_of_its_own()
    {
        var error = Problems.One("pipeline_id: p: q\nsteps: []\n");
        error.Is("yaml-syntax", 1, 15);
        Assert.DoesNotContain("Line:", error.Message);
        Assert.Contains("pipeline.yml:1:15", error.ToString());
    }

    [Fact]
    public void Every_duplicate_key_is_reported_and_the_rest_is_still_checked()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            steps:
              - id: a
                type: log
                type: log
                with: { message: hi, message: ho }
                colour: red
            pipeline_id: q
            """);
        Problems.Expect(errors, 4);
        errors[0].Is("duplicate-key", 5, 5, "'type'", "twice", "line 4");
        errors[1].Is("duplicate-key", 6, 26, "'message'", "twice", "line 6");
        errors[2].Is("unknown-key", 7, 5, "'colour'");
        errors[3].Is("duplicate-key", 8, 1, "'pipeline_id'", "line 1");
    }

    [Fact]
    public void A_key_that_is_a_list_is_refused()
    {
        var error = Problems.One("""
            pipeline_id: p
            ? [a, b]
            : 1
            steps: [{id: a, type: log, with: {message: hi}}]
            """);
        error.Is("bad-key", 2, 3, "single value", "list");
    }

    [Fact]
    public void An_empty_text_is_reported_as_empty()
    {
        Problems.One("").Is("empty", 1, 1, "empty", "pipeline_id");
        Problems.One("# only a comment\n\n").Is("empty", 1, 1, "empty");
        Problems.One("---\n").Is("empty", 1, 1, "empty");
    }

    [Fact]
    public void A_second_document_is_reported_where_it_starts()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps: [{id: a, type: log, with: {message: hi}}]
            ---
            pipeline_id: q
            """);
        error.Is("many-documents", 4, 1, "one YAML document", "2");
    }

    [Fact]
    public void A_definition_that_is_a_list_is_refused()
    {
        Problems.One("- id: a\n  type: log\n").Is("not-a-mapping", 1, 1, "mapping", "list");
    }

    [Fact]
    public void A_byte_order_mark_at_the_start_of_the_text_is_fine()
    {
        var definition = Problems.Valid("\uFEFFpipeline_id: p\nsteps: [{id: a, type: log, with: {message: hi}}]\n");
        Assert.Equal("p", definition.PipelineId);
    }

    [Fact]
    public void An_alias_to_no_anchor_is_reported_at_the_alias()
    {
        var error = Problems.One("""
            pipeline_id: p
            description: *common
            steps: [{id: a, type: log, with: {message: hi}}]
            """);
        error.Is("yaml-alias", 2, 14, "'*common'", "no anchor");
    }

    [Fact]
    public void An_alias_inside_its_own_anchor_is_refused_so_no_value_contains_itself()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            steps:
              - id: a
                type: test.options
                with: &w { target: x, extra: *w }
            """);
        Assert.Contains(errors, e => e.Code == "yaml-alias" && e.Location!.Line == 5 && e.Location.Column == 34);
    }

    [Fact]
    public void Anchors_and_aliases_share_values_between_steps()
    {
        var definition = Problems.Valid("""
            pipeline_id: p
            steps:
              - id: a
                type: log
                with: &hello { message: hello }
              - id: b
                type: log
                with: *hello
            """);
        Assert.Equal("hello", definition.Steps[1].With["message"]);
    }
}
