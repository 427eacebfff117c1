using Pipeline.Core.Definitions;
using Pipeline.Core.Planning;

namespace Pipeline.Core.Tests;

public sealed class PlanDescriptionTests
{
    [Fact]
    public void Each_level_is_a_line_listing_its_steps_with_their_types()
    {
        var plan = ExecutionPlan.Create(new PipelineDefinition
        {
            PipelineId = "nightly",
            Steps =
            [
                new StepDefinition { Id = "extract", Type = "file.list" },
                new StepDefinition { Id = "notify", Type = "log" },
                new StepDefinition { Id = "load", Type = "file.copy", DependsOn = ["extract"] },
            ],
        });

        var text = PlanDescription.Format(plan);

        Assert.Equal(
            "Run the pipeline 'nightly' (3 steps in 2 levels):" + Environment.NewLine +
            "  level 1: extract (file.list), notify (log)" + Environment.NewLine +
            "  level 2: load (file.copy)",
            text);
    }
}
