using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Steps;

namespace Pipeline.Core.Tests.Support;

/// <summary>Builds registries, definitions and executors for tests.</summary>
public static class Pipelines
{
    public static StepTypeRegistry Registry(TestStep? test = null)
    {
        var registry = StepTypeRegistry.CreateDefault();
        registry.Register(test ?? new TestStep());
        registry.Register(new NumbersStep());
        registry.Register(new DoubleStep());
        return registry;
    }

    public static PipelineDefinition Yaml(string yaml, StepTypeRegistry registry, string? path = null) =>
        DefinitionLoader.LoadText(yaml, registry, path);

    public static StepDefinition Step(string id, string type = "test.step", string[]? dependsOn = null, TriggerRule trigger = TriggerRule.AllSuccess,
        Dictionary<string, object?>? with = null, RetryPolicy? retry = null, TimeSpan? timeout = null, StepDefinition? rollback = null, string? when = null) =>
        new()
        {
            Id = id,
            Type = type,
            DependsOn = dependsOn ?? [],
            Trigger = trigger,
            With = with ?? new Dictionary<string, object?>(),
            Retry = retry,
            Timeout = timeout,
            Rollback = rollback,
            When = when,
        };

    public static PipelineDefinition Definition(params StepDefinition[] steps) => new() { PipelineId = "test", Steps = steps };

    /// <summary>Collects events.</summary>
    public sealed class EventLog : IPipelineEventSink
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<PipelineEvent> _events = new();
        public IReadOnlyList<PipelineEvent> Events => _events.ToArray();
        public void OnEvent(PipelineEvent pipelineEvent) => _events.Enqueue(pipelineEvent);
        public event Action<PipelineEvent>? Raised;
        public void Raise(PipelineEvent e) => Raised?.Invoke(e);
    }
}
