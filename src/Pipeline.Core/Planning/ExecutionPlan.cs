using Pipeline.Core.Definitions;

namespace Pipeline.Core.Planning;

/// <summary>One step in a plan, with its position in the graph.</summary>
public sealed class PlannedStep
{
    internal PlannedStep(StepDefinition definition, int index)
    {
        Definition = definition;
        Index = index;
    }

    /// <summary>The step.</summary>
    public StepDefinition Definition { get; }

    /// <summary>The step's id.</summary>
    public string Id => Definition.Id;

    /// <summary>Its position in <see cref="ExecutionPlan.Steps"/> (topological order).</summary>
    public int Index { get; internal set; }

    /// <summary>Its level: 0 for steps without upstream, else one more than its deepest upstream.</summary>
    public int Level { get; internal set; }

    /// <summary>Indexes of the steps it waits for.</summary>
    public IReadOnlyList<int> Upstream { get; internal set; } = [];

    /// <summary>Indexes of the steps that wait for it.</summary>
    public IReadOnlyList<int> Downstream { get; internal set; } = [];

    /// <summary>Indexes of the steps that read its records.</summary>
    public IReadOnlyList<int> Consumers { get; internal set; } = [];
}

/// <summary>
/// The steps of a pipeline in an order that respects every dependency (Kahn's algorithm, ties broken by
/// definition order), grouped in levels of steps that may run at once.
/// </summary>
public sealed class ExecutionPlan
{
    private readonly Dictionary<string, PlannedStep> _byId;

    private ExecutionPlan(PipelineDefinition definition, IReadOnlyList<PlannedStep> steps)
    {
        Definition = definition;
        Steps = steps;
        _byId = steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        Levels = steps.GroupBy(s => s.Level).OrderBy(g => g.Key).Select(g => (IReadOnlyList<PlannedStep>)g.ToArray()).ToArray();
    }

    /// <summary>The pipeline.</summary>
    public PipelineDefinition Definition { get; }

    /// <summary>The steps in topological order.</summary>
    public IReadOnlyList<PlannedStep> Steps { get; }

    /// <summary>Steps grouped by level.</summary>
    public IReadOnlyList<IReadOnlyList<PlannedStep>> Levels { get; }

    /// <summary>A step by id.</summary>
    public PlannedStep this[string id] => _byId[id];

    /// <summary>Whether the plan has a step.</summary>
    public bool Contains(string id) => _byId.ContainsKey(id);

    /// <summary>Plans a definition.</summary>
    /// <exception cref="DefinitionException">Unknown dependencies, duplicate ids, or cycles (each with its path).</exception>
    public static ExecutionPlan Create(PipelineDefinition definition)
    {
        var errors = GraphErrors(definition);
        if (errors.Count > 0) throw new DefinitionException(errors);
        return Build(definition);
    }

    /// <summary>Graph problems of a definition: duplicate ids, unknown dependencies and cycles (each cycle once,
    /// with its path). Linear in steps and dependencies.</summary>
    public static List<DefinitionError> GraphErrors(PipelineDefinition definition)
    {
        var errors = new List<DefinitionError>();
        var seen = new Dictionary<string, StepDefinition>(StringComparer.Ordinal);
        foreach (var step in definition.Steps)
        {
            if (step.Id.Length == 0) continue;
            if (!seen.TryAdd(step.Id, step))
                errors.Add(new DefinitionError("duplicate-id", $"The step id '{step.Id}' is used twice (first at {seen[step.Id].Location?.ToString() ?? "an earlier step"}).",
                    step.ValueLocations.GetValueOrDefault("id") ?? step.Location));
        }
        foreach (var step in definition.Steps)
        {
            foreach (var (list, key) in new[] { (step.DependsOn, "depends_on"), (step.Inputs, "input") })
            {
                foreach (var dependency in list.Distinct(StringComparer.Ordinal))
                {
                    var at = DependencyLocation(step, key, dependency);
                    if (dependency == step.Id)
                        errors.Add(new DefinitionError("cycle", key == "input"
                            ? $"The step '{step.Id}' reads its own records (input: {dependency})."
                            : $"The step '{step.Id}' depends on itself.", at));
                    else if (!seen.ContainsKey(dependency) && !(key == "input" && dependency == Execution.StepInputs.PipelineInput))
                        errors.Add(new DefinitionError("unknown-dependency",
                            $"The step '{step.Id}' {(key == "input" ? "reads input from" : "depends on")} '{dependency}', which is not a step of this pipeline{Suggest.DidYouMean(dependency, seen.Keys)}.",
                            at));
                }
            }
        }
        errors.AddRange(FindCycles(seen.Values.ToArray()));
        return errors;
    }

    private static SourceLocation? DependencyLocation(StepDefinition step, string key, string dependency) =>
        step.KeyLocations.GetValueOrDefault(key + "." + dependency)
        ?? step.KeyLocations.GetValueOrDefault(key)
        ?? (key == "input" ? step.KeyLocations.GetValueOrDefault("inputs") : null)
        ?? step.Location;

    private static ExecutionPlan Build(PipelineDefinition definition)
    {
        var steps = definition.Steps;
        var index = new Dictionary<string, int>(steps.Count, StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++) index[steps[i].Id] = i;

        var upstream = new List<int>[steps.Count];
        var downstream = new List<int>[steps.Count];
        var consumers = new List<int>[steps.Count];
        for (var i = 0; i < steps.Count; i++)
        {
            downstream[i] = [];
            consumers[i] = [];
        }
        var inDegree = new int[steps.Count];
        for (var i = 0; i < steps.Count; i++)
        {
            // The reserved input "input" (records from the caller) is not a step unless one is named so.
            upstream[i] = steps[i].Upstream.Where(index.ContainsKey).Select(d => index[d]).ToList();
            inDegree[i] = upstream[i].Count;
            foreach (var u in upstream[i]) downstream[u].Add(i);
            foreach (var input in steps[i].Inputs.Where(index.ContainsKey)) consumers[index[input]].Add(i);
        }

        // Kahn's algorithm; a queue in definition order keeps plans stable from run to run.
        var order = new List<int>(steps.Count);
        var level = new int[steps.Count];
        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < steps.Count; i++)
            if (inDegree[i] == 0) ready.Enqueue(i, i);
        while (ready.TryDequeue(out var current, out _))
        {
            order.Add(current);
            foreach (var next in downstream[current])
            {
                level[next] = Math.Max(level[next], level[current] + 1);
                if (--inDegree[next] == 0) ready.Enqueue(next, next);
            }
        }

        var position = new int[steps.Count];
        for (var p = 0; p < order.Count; p++) position[order[p]] = p;
        var planned = order.Select(i => new PlannedStep(steps[i], position[i])
        {
            Level = level[i],
            Upstream = upstream[i].Select(u => position[u]).ToArray(),
            Downstream = downstream[i].Select(d => position[d]).ToArray(),
            Consumers = consumers[i].Select(c => position[c]).ToArray(),
        }).ToArray();
        return new ExecutionPlan(definition, planned);
    }

    /// <summary>One problem per knot of steps that wait for each other, with the shortest cycle through its first
    /// step as the path. Self-dependencies are reported apart; unknown steps are ignored here.</summary>
    private static List<DefinitionError> FindCycles(StepDefinition[] steps)
    {
        var position = new Dictionary<string, int>(steps.Length, StringComparer.Ordinal);
        for (var i = 0; i < steps.Length; i++) position[steps[i].Id] = i;
        var edges = steps.Select(s => s.Upstream.Where(d => d != s.Id && position.ContainsKey(d)).Select(d => position[d]).ToArray()).ToArray();

        var errors = new List<DefinitionError>();
        foreach (var knot in GraphCycles.Find(edges))
        {
            var ids = knot.Path.Select(i => steps[i].Id).ToList();
            var message = $"The steps depend on each other in a cycle: {string.Join(" -> ", ids)} (each step waits for the next).";
            if (knot.Members.Count > knot.Path.Count - 1)
            {
                var all = knot.Members.Select(i => steps[i].Id).ToArray();
                message += $" {all.Length} steps are caught in it: {string.Join(", ", all.Take(10))}{(all.Length > 10 ? ", ..." : "")}.";
            }
            var first = steps[knot.Path[0]];
            var second = ids[1];
            var at = first.DependsOn.Contains(second) ? DependencyLocation(first, "depends_on", second) : DependencyLocation(first, "input", second);
            errors.Add(new DefinitionError("cycle", message, at));
        }
        return errors;
    }
}
