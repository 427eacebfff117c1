using Pipeline.Core.Definitions;
using Pipeline.Core.Planning;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>Dependencies that name no step, and steps that wait for each other, reported where they are written.</summary>
public sealed class GraphTests
{
    [Fact]
    public void An_unknown_dependency_is_reported_at_the_item_with_a_suggestion()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - { id: extract, type: log, with: { message: hi } }
              - id: load
                type: log
                depends_on: [extract, transfrom]
                with: { message: hi }
              - { id: transform, type: log, with: { message: hi } }
            """);
        error.Is("unknown-dependency", 6, 27, "'load'", "depends on 'transfrom'", "did you mean 'transform'?");
    }

    [Fact]
    public void An_unknown_input_is_reported_at_the_item_with_a_suggestion()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - { id: numbers, type: test.numbers }
              - id: doubled
                type: test.double
                inputs: [numbrs]
            """);
        error.Is("unknown-dependency", 6, 14, "reads input from 'numbrs'", "did you mean 'numbers'?");
    }

    [Fact]
    public void The_reserved_input_names_the_callers_records()
    {
        var definition = Problems.Valid("""
            pipeline_id: p
            steps:
              - { id: doubled, type: test.double, input: input }
            """);
        Assert.Equal(["input"], definition.Steps[0].Inputs);
    }

    [Fact]
    public void A_cycle_is_reported_with_its_whole_path()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - { id: a, type: log, depends_on: [c], with: { message: hi } }
              - { id: b, type: log, depends_on: [a], with: { message: hi } }
              - { id: c, type: log, depends_on: [b], with: { message: hi } }
              - { id: d, type: log, depends_on: [c], with: { message: hi } }
            """);
        error.Is("cycle", 3, 38, "a -> c -> b -> a", "each step waits for the next");
    }

    [Fact]
    public void Two_independent_cycles_are_both_reported()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            steps:
              - { id: a, type: log, depends_on: [b], with: { message: hi } }
              - { id: b, type: log, depends_on: [a], with: { message: hi } }
              - { id: ok, type: log, with: { message: hi } }
              - { id: x, type: log, depends_on: [ok, z], with: { message: hi } }
              - { id: y, type: log, depends_on: [x], with: { message: hi } }
              - { id: z, type: log, depends_on: [y], with: { message: hi } }
            """);
        Problems.Expect(errors, 2);
        errors[0].Is("cycle", 3, 38, "a -> b -> a");
        errors[1].Is("cycle", 6, 42, "x -> z -> y -> x");
    }

    [Fact]
    public void A_knot_of_several_cycles_is_reported_once_with_its_members()
    {
        var error = Problems.One("""
            pipeline_id: p
            steps:
              - { id: a, type: log, depends_on: [b, c], with: { message: hi } }
              - { id: b, type: log, depends_on: [a], with: { message: hi } }
              - { id: c, type: log, depends_on: [a], with: { message: hi } }
            """);
        error.Is("cycle", 3, 38, "a -> b -> a", "3 steps are caught in it: a, b, c");
    }

    [Fact]
    public void A_step_that_depends_on_itself_is_reported()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            steps:
              - { id: a, type: log, depends_on: [a], with: { message: hi } }
              - { id: n, type: test.double, input: n }
            """);
        Problems.Expect(errors, 2);
        errors[0].Is("cycle", 3, 38, "'a' depends on itself");
        errors[1].Is("cycle", 4, 40, "'n' reads its own records");
    }

    [Fact]
    public void Cycles_are_reported_beside_unknown_dependencies_and_duplicate_ids()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            steps:
              - { id: a, type: log, depends_on: [b, nope], with: { message: hi } }
              - { id: b, type: log, depends_on: [a], with: { message: hi } }
              - { id: b, type: log, with: { message: hi } }
            """);
        Assert.Equal(["cycle", "unknown-dependency", "duplicate-id"], errors.Select(e => e.Code));
    }

    [Fact]
    public void A_cycle_through_a_10000_step_chain_is_found_without_overflowing_the_stack()
    {
        var steps = Enumerable.Range(0, 10_000).Select(i => Step("s" + i, dependsOn: [i == 0 ? "s9999" : "s" + (i - 1)])).ToArray();
        var errors = ExecutionPlan.GraphErrors(Definition(steps));
        var cycle = Assert.Single(errors);
        Assert.StartsWith("The steps depend on each other in a cycle: s0 -> s9999 -> s9998", cycle.Message);
        Assert.Contains("s1 -> s0 (each step waits for the next)", cycle.Message);
    }
}
