using Pipeline.Core.Definitions;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>Unknown keys at every level, with a suggestion, and values of the wrong kind.</summary>
public sealed class KeyTests
{
    [Fact]
    public void Unknown_keys_are_reported_at_every_level_with_a_suggestion()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            max_paralel: 2
            defaults:
              timout: 5m
              retry:
                max_attempt: 3
            steps:
              - id: a
                type: log
                dependson: [b]
                with: { message: hi }
                retry:
                  backof: linear
                rollback:
                  type: log
                  with: { message: undo }
                  depends_on: [x]
              - id: b
                type: log
                with: { message: hi }
            """);
        Problems.Expect(errors, 6);
        errors[0].Is("unknown-key", 2, 1, "'max_paralel'", "in the pipeline", "did you mean 'max_parallel'?", "known keys: pipeline_id");
        errors[1].Is("unknown-key", 4, 3, "'timout'", "in the defaults", "did you mean 'timeout'?");
        errors[2].Is("unknown-key", 6, 5, "'max_attempt'", "in the retry", "did you mean 'max_attempts'?");
        errors[3].Is("unknown-key", 10, 5, "'dependson'", "in the step", "did you mean 'depends_on'?");
        errors[4].Is("unknown-key", 13, 7, "'backof'", "did you mean 'backoff'?");
        errors[5].Is("unknown-key", 17, 7, "'depends_on'", "rollback of step 'a'", "known keys: id, name, type, timeout, with");
    }

    [Fact]
    public void An_unknown_key_far_from_every_known_one_gets_no_suggestion_but_the_list()
    {
        var error = Problems.One("""
            pipeline_id: p
            colour: blue
            steps: [{id: a, type: log, with: {message: hi}}]
            """);
        error.Is("unknown-key", 2, 1, "'colour'", "known keys:");
        Assert.DoesNotContain("did you mean", error.Message);
    }

    [Fact]
    public void Missing_pipeline_id_and_steps_are_reported()
    {
        var errors = Problems.Of("description: nothing\n");
        Problems.Expect(errors, 2);
        Assert.All(errors, e => Assert.Equal("missing-key", e.Code));
        Assert.Contains(errors, e => e.Message.Contains("'pipeline_id'"));
        Assert.Contains(errors, e => e.Message.Contains("'steps'"));
    }

    [Fact]
    public void A_step_without_id_or_type_is_reported_at_the_step()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            steps:
              - name: nameless
                with: { message: hi }
            """);
        Problems.Expect(errors, 2);
        errors[0].Is("missing-key", 3, 5, "needs an 'id'");
        errors[1].Is("missing-key", 3, 5, "needs a 'type'");
    }

    [Fact]
    public void Empty_steps_are_reported()
    {
        Problems.One("pipeline_id: p\nsteps: []\n").Is("no-steps", 2, 8, "empty");
        Problems.One("pipeline_id: p\nsteps:\n").Is("no-steps", 2, 7, "empty");
    }

    [Fact]
    public void Values_of_the_wrong_kind_are_reported_at_the_value()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            description: [a, b]
            max_parallel: -1
            concurrency: none
            on_failure: stopp
            plugins: { a: b }
            steps:
              - id: a
                type: log
                name: { first: x }
                depends_on: { b: 1 }
                with: [message, hi]
              - not a step
            """);
        Problems.Expect(errors, 10);
        errors[0].Is("wrong-type", 2, 14, "'description'", "single value", "list");
        errors[1].Is("wrong-type", 3, 15, "'max_parallel'", "whole number of at least 0", "'-1'");
        errors[2].Is("wrong-type", 4, 14, "'concurrency'", "at least 1", "'none'");
        errors[3].Is("bad-value", 5, 13, "'stopp'", "'on_failure'", "did you mean 'stop'?", "stop, continue");
        errors[4].Is("wrong-type", 6, 10, "'plugins'", "list", "mapping");
        errors[5].Is("wrong-type", 10, 11, "'name'", "mapping");
        errors[6].Is("wrong-type", 11, 17, "'depends_on'", "list", "mapping");
        // With no usable 'with', the log step also lacks its message.
        errors[7].Is("missing-option", 12, 5, "'message'");
        errors[8].Is("wrong-type", 12, 11, "'with' of step 'a'", "mapping", "list");
        errors[9].Is("wrong-type", 13, 5, "step", "mapping", "single value");
    }

    [Fact]
    public void Lists_accept_a_single_value()
    {
        var definition = Problems.Valid("""
            pipeline_id: p
            steps:
              - { id: a, type: log, with: { message: hi } }
              - { id: b, type: log, depends_on: a, with: { message: hi } }
            """);
        Assert.Equal(["a"], definition.Steps[1].DependsOn);
    }

    [Fact]
    public void Bad_ids_are_reported()
    {
        var errors = Problems.Of("""
            pipeline_id: "my pipeline"
            steps:
              - id: extract.v2
                type: log
                with: { message: hi }
              - id: -dash
                type: log
                with: { message: hi }
            """);
        Problems.Expect(errors, 3);
        errors[0].Is("bad-id", 1, 14, "'my pipeline'", "letters, digits");
        errors[1].Is("bad-id", 3, 9, "'extract.v2'", "no '.'");
        errors[2].Is("bad-id", 6, 9, "'-dash'", "starting with");
    }

    [Fact]
    public void Dots_are_fine_in_pipeline_and_rollback_ids()
    {
        var definition = Problems.Valid("""
            pipeline_id: nightly.sales-2
            steps:
              - id: a
                type: log
                with: { message: hi }
                rollback: { id: undo.a, type: log, with: { message: undo } }
              - id: b
                type: log
                with: { message: hi }
                rollback: { type: log, with: { message: undo } }
            """);
        Assert.Equal("nightly.sales-2", definition.PipelineId);
        Assert.Equal("undo.a", definition.Steps[0].Rollback!.Id);
        Assert.Equal("b.rollback", definition.Steps[1].Rollback!.Id);
    }

    [Fact]
    public void Duplicate_step_ids_are_reported_at_the_second_with_the_first_position()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - id: a
                type: log
                with: { message: hi }
              - id: a
                type: log
                with: { message: ho }
            """);
        error.Is("duplicate-id", 6, 9, "'a'", "used twice", "pipeline.yml:3:5");
    }

    [Fact]
    public void A_rollback_id_that_is_a_step_id_is_reported()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - id: a
                type: log
                with: { message: hi }
                rollback: { id: b, type: log, with: { message: undo } }
              - id: b
                type: log
                with: { message: hi }
            """);
        error.Is("duplicate-id", 6, 21, "rollback id 'b'");
    }

    [Fact]
    public void Variables_must_be_single_values_with_valid_names()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            variables:
              region: eu
              paths: [a, b]
              limits: { max: 3 }
              2fast: x
              run_id: mine
              empty:
            steps: [{id: a, type: log, with: {message: "{region}{empty}"}}]
            """);
        Problems.Expect(errors, 4);
        errors[0].Is("wrong-type", 4, 10, "'paths'", "single value", "list");
        errors[1].Is("wrong-type", 5, 11, "'limits'", "mapping");
        errors[2].Is("bad-variable", 6, 3, "'2fast'", "digit");
        errors[3].Is("bad-variable", 7, 3, "'run_id'", "reserved");
    }
}
