using System.Text;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Planning;
using Pipeline.Core.Tests.Support;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Planning;

/// <summary>Plans: Kahn's order with ties broken by definition order, levels, and linear cost on 10,000 steps.</summary>
public sealed class ExecutionPlanTests
{
    private static string[] Order(ExecutionPlan plan) => plan.Steps.Select(s => s.Id).ToArray();

    private static string[][] Levels(ExecutionPlan plan) => plan.Levels.Select(l => l.Select(s => s.Id).ToArray()).ToArray();

    [Fact]
    public void Steps_are_ordered_by_their_dependencies_then_by_definition_order()
    {
        var plan = ExecutionPlan.Create(Definition(
            Step("report", dependsOn: ["load", "audit"]),
            Step("extract"),
            Step("load", dependsOn: ["transform"]),
            Step("audit", dependsOn: ["extract"]),
            Step("transform", dependsOn: ["extract"]),
            Step("cleanup")));
        // Ready at first: extract (1), cleanup (5). extract frees audit (3) and transform (4); audit is defined first.
        Assert.Equal(["extract", "audit", "transform", "load", "report", "cleanup"], Order(plan));
        Assert.Equal([["extract", "cleanup"], ["audit", "transform"], ["load"], ["report"]], Levels(plan));
    }

    [Fact]
    public void The_order_is_the_same_every_time()
    {
        var steps = Enumerable.Range(0, 200).Select(i => Step("s" + i, dependsOn: i % 7 == 0 || i < 3 ? [] : ["s" + (i / 3)])).ToArray();
        var first = Order(ExecutionPlan.Create(Definition(steps)));
        for (var run = 0; run < 5; run++) Assert.Equal(first, Order(ExecutionPlan.Create(Definition(steps))));
    }

    [Fact]
    public void Indexes_link_each_step_to_its_upstream_downstream_and_consumers()
    {
        var registry = Registry();
        var definition = StepInputs.Normalize(Definition(
            Step("double", type: "test.double", dependsOn: ["numbers"]),
            Step("numbers", type: "test.numbers"),
            Step("after", dependsOn: ["double"])), registry);
        var plan = ExecutionPlan.Create(definition);
        Assert.Equal(["numbers", "double", "after"], Order(plan));
        var (numbers, @double, after) = (plan["numbers"], plan["double"], plan["after"]);
        Assert.Equal([0, 1, 2], new[] { numbers.Index, @double.Index, after.Index });
        Assert.Equal([0], @double.Upstream);
        Assert.Equal([1], numbers.Downstream);
        Assert.Equal([1], numbers.Consumers);
        Assert.Equal([2], @double.Downstream);
        Assert.Empty(@double.Consumers);
        Assert.Equal([0, 1, 2], new[] { numbers.Level, @double.Level, after.Level });
        Assert.True(plan.Contains("after"));
        Assert.False(plan.Contains("input"));
    }

    [Fact]
    public void A_step_reading_the_callers_records_waits_for_nothing()
    {
        var registry = Registry();
        var plan = ExecutionPlan.Create(StepInputs.Normalize(Definition(Step("double", type: "test.double")), registry));
        Assert.Equal(["input"], plan["double"].Definition.Inputs);
        Assert.Empty(plan["double"].Upstream);
        Assert.Equal(0, plan["double"].Level);
    }

    [Fact]
    public void A_level_is_one_more_than_the_deepest_upstream()
    {
        var plan = ExecutionPlan.Create(Definition(
            Step("a"), Step("b", dependsOn: ["a"]), Step("c", dependsOn: ["b"]), Step("d", dependsOn: ["a", "c"]), Step("e", dependsOn: ["a"])));
        Assert.Equal([["a"], ["b", "e"], ["c"], ["d"]], Levels(plan));
    }

    [Fact]
    public void Planning_refuses_a_graph_with_problems()
    {
        var ex = Assert.Throws<DefinitionException>(() => ExecutionPlan.Create(Definition(Step("a", dependsOn: ["b"]), Step("b", dependsOn: ["a"]), Step("c", dependsOn: ["x"]))));
        Assert.Equal(["cycle", "unknown-dependency"], ex.Errors.Select(e => e.Code).Order());
    }

    [Fact]
    public void A_wide_plan_of_10000_steps_is_one_level_in_definition_order()
    {
        var steps = Enumerable.Range(0, 10_000).Select(i => Step("s" + i)).ToArray();
        var plan = ExecutionPlan.Create(Definition(steps));
        var level = Assert.Single(plan.Levels);
        Assert.Equal(10_000, level.Count);
        Assert.Equal(steps.Select(s => s.Id), Order(plan));
    }

    [Fact]
    public void A_chain_of_10000_steps_is_planned_and_validated_without_deep_recursion()
    {
        // Defined last-first, so that every step but one waits at first.
        var steps = Enumerable.Range(0, 10_000).Reverse().Select(i => Step("s" + i, dependsOn: i == 0 ? [] : ["s" + (i - 1)])).ToArray();
        var definition = Definition(steps);
        Assert.Empty(DefinitionValidator.Validate(definition, Registry()));
        var plan = new PipelineExecutor(Registry()).Plan(definition);
        Assert.Equal(10_000, plan.Levels.Count);
        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => "s" + i), Order(plan));
        Assert.Equal(9_999, plan["s9999"].Level);
    }

    [Fact]
    public void A_chain_of_10000_steps_referring_to_their_upstream_is_validated_step_by_step()
    {
        // Each step names its direct upstream's output: found without listing all 10,000 ancestors each time.
        var steps = Enumerable.Range(0, 10_000).Select(i => Step("s" + i, dependsOn: i == 0 ? [] : ["s" + (i - 1)],
            with: i == 0 ? null : new Dictionary<string, object?> { ["message"] = $"after {{steps.s{i - 1}.value}}" })).ToArray();
        Assert.Empty(DefinitionValidator.Validate(Definition(steps), Registry()));
    }

    [Fact]
    public void A_chain_of_10000_steps_loads_from_yaml()
    {
        var yaml = new StringBuilder("pipeline_id: chain\nsteps:\n  - { id: s0, type: test.step }\n");
        for (var i = 1; i < 10_000; i++) yaml.Append($"  - {{ id: s{i}, type: test.step, depends_on: [s{i - 1}] }}\n");
        var definition = DefinitionLoader.LoadText(yaml.ToString(), Registry());
        var plan = ExecutionPlan.Create(definition);
        Assert.Equal(10_000, plan.Levels.Count);
    }

    [Fact]
    public void A_dense_graph_is_planned_in_time_linear_in_its_edges()
    {
        // 2,000 steps, each waiting for the 50 before it: 100,000 edges.
        var steps = Enumerable.Range(0, 2_000).Select(i => Step("s" + i, dependsOn: Enumerable.Range(Math.Max(0, i - 50), Math.Min(i, 50)).Select(j => "s" + j).ToArray())).ToArray();
        var plan = ExecutionPlan.Create(Definition(steps));
        Assert.Equal(2_000, plan.Levels.Count);
        Assert.Equal(50, plan["s1999"].Upstream.Count);
    }
}
