using Pipeline.Core.Definitions;
using Pipeline.Core.Steps;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>Step types and their options are checked before anything runs.</summary>
public sealed class StepTypeTests
{
    [Fact]
    public void An_unknown_type_is_reported_at_its_value_with_a_suggestion()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - id: a
                type: file.cpy
            """);
        error.Is("unknown-type", 4, 11, "'file.cpy'", "did you mean 'file.copy'?", "pipeline steps");
    }

    [Fact]
    public void A_type_this_host_cannot_run_says_why()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - id: a
                type: powershell
            """);
        error.Is("unavailable-type", 4, 11, "only inside PowerShell");
    }

    [Fact]
    public void An_unknown_option_is_reported_at_its_key_with_a_suggestion_and_the_list()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - id: a
                type: file.copy
                with:
                  source: in.txt
                  destinaton: out.txt
                  destination: out.txt
            """);
        error.Is("unknown-option", 7, 7, "'destinaton'", "'file.copy'", "did you mean 'destination'?", "its options: source, destination");
    }

    [Fact]
    public void An_option_given_to_a_type_without_options_says_so()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - id: a
                type: test.double
                with: { factor: 2 }
            """);
        error.Is("unknown-option", 5, 13, "'factor'", "takes no options");
    }

    [Fact]
    public void A_missing_required_option_is_reported_with_its_description()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            steps:
              - id: a
                type: file.copy
                with:
                  source: in.txt
              - id: b
                type: log
            """);
        Problems.Expect(errors, 2);
        errors[0].Is("missing-option", 5, 5, "Step 'a'", "'destination'", "The destination file");
        errors[1].Is("missing-option", 7, 5, "Step 'b'", "'message'");
    }

    [Fact]
    public void Option_values_are_checked_against_their_kind()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            steps:
              - id: a
                type: test.options
                with:
                  target: somewhere
                  count: three
                  ratio: 1,5
                  enabled: maybe
                  wait: 5 minutes
                  mode: carefull
                  names: { a: 1 }
                  labels: [a, b]
              - id: b
                type: test.options
                with:
                  target: [a, b]
                  count: 3.5
                  mode: FAST
            """);
        Problems.Expect(errors, 9);
        errors[0].Is("bad-option", 7, 14, "'count'", "whole number", "'three'");
        errors[1].Is("bad-option", 8, 14, "'ratio'", "number", "'1,5'");
        errors[2].Is("bad-option", 9, 16, "'enabled'", "true or false", "'maybe'");
        errors[3].Is("bad-option", 10, 13, "'wait'", "duration", "'5 minutes'");
        errors[4].Is("bad-option", 11, 13, "'mode'", "one of fast, careful, dry_run", "did you mean 'careful'?");
        errors[5].Is("bad-option", 12, 14, "'names'", "list", "not a mapping");
        errors[6].Is("bad-option", 13, 15, "'labels'", "mapping");
        errors[7].Is("bad-option", 17, 15, "'target'", "single value");
        errors[8].Is("bad-option", 18, 14, "'count'", "'3.5'");
    }

    [Fact]
    public void Good_option_values_of_every_kind_pass()
    {
        var definition = Problems.Valid("""
            pipeline_id: p
            variables: { n: "3" }
            steps:
              - id: a
                type: test.options
                with:
                  target: somewhere
                  count: -3
                  ratio: 1.5e3
                  enabled: on
                  wait: 1h30m
                  mode: Dry_Run
                  names: single
                  labels: { a: 1 }
                  extra: { any: [thing] }
              - id: b
                type: test.options
                with:
                  target: "{pipeline_id}"
                  count: "{n}"
                  enabled: "1"
                  names: [a, b]
            """, Problems.Registry());
        Assert.Equal(2, definition.Steps.Count);
    }

    [Fact]
    public void Values_holding_templates_are_checked_when_they_are_resolved()
    {
        // "{n}" is unknown here, which is reported as a template problem, not as a bad whole number.
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - id: a
                type: test.options
                with: { target: t, count: "{n}" }
            """);
        error.Is("unresolved-template", 5, 31, "'{n}'", "not defined");
        Assert.DoesNotContain("did you mean", error.Message);
    }

    [Fact]
    public void Reading_records_from_a_step_that_produces_none_is_reported()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            steps:
              - id: a
                type: log
                with: { message: hi }
              - id: b
                type: test.double
                input: [a]
              - id: c
                type: log
                input: a
                with: { message: hi }
            """);
        Problems.Expect(errors, 3);
        errors[0].Is("not-a-producer", 8, 13, "'b'", "'a'", "produce no records");
        errors[1].Is("not-a-consumer", 11, 5, "'c'", "read no records");
        errors[2].Is("not-a-producer", 11, 12, "'c'", "'a'");
    }

    [Fact]
    public void A_step_built_from_objects_is_checked_too()
    {
        var registry = Registry();
        var definition = Definition(
            new StepDefinition { Id = "bad id", Type = "log" },
            new StepDefinition { Id = "b", Type = "file.cpy" });
        var errors = DefinitionValidator.Validate(definition, registry);
        Assert.Contains(errors, e => e.Code == "bad-id" && e.Message.Contains("'bad id'") && e.Location is null);
        Assert.Contains(errors, e => e.Code == "missing-option" && e.Message.Contains("'message'"));
        Assert.Contains(errors, e => e.Code == "unknown-type" && e.Message.Contains("did you mean 'file.copy'?"));
    }

    [Fact]
    public void A_retry_policy_built_from_objects_is_checked()
    {
        var definition = Definition(Step("a", retry: new RetryPolicy { MaxAttempts = 0, Delay = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromSeconds(1) }));
        var errors = DefinitionValidator.Validate(definition, Registry());
        Assert.Contains(errors, e => e.Code == "bad-retry" && e.Message.Contains("at least 1"));
        Assert.Contains(errors, e => e.Code == "bad-retry" && e.Message.Contains("shorter than 'delay'"));
    }
}
