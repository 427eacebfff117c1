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

    /// <summary>Plans a definition. Linear in steps and dependencies (with a log factor for the ordering).</summary>
    /// <exception cref="DefinitionException">Unknown dependencies, duplicate ids, or cycles (each with its path).</exception>
    public static ExecutionPlan Create(PipelineDefinition definition)
    {
        var graph = new StepGraph(definition);
        var errors = graph.Errors();
        if (errors.Count > 0) throw new DefinitionException(errors);
        return Build(definition, graph);
    }

    /// <summary>Graph problems of a definition: duplicate ids, unknown dependencies and cycles (each cycle once,
    /// with its path). Linear in steps and dependencies.</summary>
    public static List<DefinitionError> GraphErrors(PipelineDefinition definition) => new StepGraph(definition).Errors();

    private static SourceLocation? DependencyLocation(StepDefinition step, string key, string dependency) =>
        step.KeyLocations.GetValueOrDefault(key + "." + dependency)
        ?? step.KeyLocations.GetValueOrDefault(key)
        ?? (key == "input" ? step.KeyLocations.GetValueOrDefault("inputs") : null)
        ?? step.Location;

    /// <summary>The steps by position (the first of each id) and the positions each one waits for.</summary>
    private sealed class StepGraph
    {
        private readonly PipelineDefinition _definition;
        private readonly List<StepDefinition> _duplicates = [];

        public StepGraph(PipelineDefinition definition)
        {
            _definition = definition;
            var all = definition.Steps;
            Index = new Dictionary<string, int>(all.Count, StringComparer.Ordinal);
            foreach (var step in all)
            {
                if (step.Id.Length == 0) continue;
                if (Index.TryAdd(step.Id, Steps.Count)) Steps.Add(step);
                else _duplicates.Add(step);
            }
            Upstream = new int[Steps.Count][];
            var scratch = new List<int>();
            var seen = new HashSet<int>();
            for (var i = 0; i < Steps.Count; i++)
            {
                scratch.Clear();
                seen.Clear();
                Add(Steps[i].DependsOn, i, scratch, seen);
                Add(Steps[i].Inputs.Select(Execution.StepInputs.ProducerOf).ToArray(), i, scratch, seen);
                Upstream[i] = scratch.ToArray();
            }
        }

        public List<StepDefinition> Steps { get; } = [];

        public Dictionary<string, int> Index { get; }

        /// <summary>The known steps each step waits for, once each, itself excluded.</summary>
        public int[][] Upstream { get; }

        private void Add(IReadOnlyList<string> ids, int self, List<int> into, HashSet<int> seen)
        {
            foreach (var id in ids)
            {
                if (Index.TryGetValue(id, out var u) && u != self && seen.Add(u)) into.Add(u);
            }
        }

        public List<DefinitionError> Errors()
        {
            var errors = new List<DefinitionError>();
            foreach (var step in _duplicates)
            {
                var first = Steps[Index[step.Id]];
                errors.Add(new DefinitionError("duplicate-id", $"The step id '{step.Id}' is used twice (first at {first.Location?.ToString() ?? "an earlier step"}).",
                    step.ValueLocations.GetValueOrDefault("id") ?? step.Location));
            }
            foreach (var step in _definition.Steps)
            {
                Unknown(step, step.DependsOn, "depends_on", errors);
                Unknown(step, step.Inputs, "input", errors);
            }
            errors.AddRange(Cycles());
            return errors;
        }

        private void Unknown(StepDefinition step, IReadOnlyList<string> ids, string key, List<DefinitionError> errors)
        {
            for (var i = 0; i < ids.Count; i++)
            {
                var dependency = ids[i];
                var target = key == "input" ? Execution.StepInputs.ProducerOf(dependency) : dependency;
                if (Index.ContainsKey(target) && target != step.Id) continue;
                if (key == "input" && dependency == Execution.StepInputs.PipelineInput) continue;
                if (IndexOf(ids, dependency) < i) continue; // listed twice: reported once
                var at = DependencyLocation(step, key, dependency);
                if (target == step.Id)
                    errors.Add(new DefinitionError("cycle", key == "input"
                        ? $"The step '{step.Id}' reads its own records (input: {dependency})."
                        : $"The step '{step.Id}' depends on itself.", at));
                else
                    errors.Add(new DefinitionError("unknown-dependency",
                        $"The step '{step.Id}' {(key == "input" ? "reads input from" : "depends on")} '{dependency}'{(target == dependency ? "" : $" (an output of '{target}')")}, which is not a step of this pipeline{Suggest.DidYouMean(target, Index.Keys)}.",
                        at));
            }
        }

        private static int IndexOf(IReadOnlyList<string> ids, string id)
        {
            for (var i = 0; i < ids.Count; i++)
            {
                if (ids[i] == id) return i;
            }
            return -1;
        }

        /// <summary>One problem per knot of steps that wait for each other, with the shortest cycle through its
        /// first step as the path.</summary>
        private List<DefinitionError> Cycles()
        {
            var errors = new List<DefinitionError>();
            foreach (var knot in GraphCycles.Find(Upstream))
            {
                var ids = knot.Path.Select(i => Steps[i].Id).ToList();
                var message = $"The steps depend on each other in a cycle: {string.Join(" -> ", ids)} (each step waits for the next).";
                if (knot.Members.Count > knot.Path.Count - 1)
                {
                    var all = knot.Members.Select(i => Steps[i].Id).ToArray();
                    message += $" {all.Length} steps are caught in it: {string.Join(", ", all.Take(10))}{(all.Length > 10 ? ", ..." : "")}.";
                }
                var first = Steps[knot.Path[0]];
                var second = ids[1];
                var at = first.DependsOn.Contains(second) ? DependencyLocation(first, "depends_on", second) : DependencyLocation(first, "input", second);
                errors.Add(new DefinitionError("cycle", message, at));
            }
            return errors;
        }
    }

    private static ExecutionPlan Build(PipelineDefinition definition, StepGraph graph)
    {
        // Without errors every step has an id of its own, so the graph's positions are the definition's.
        var steps = graph.Steps;
        var n = steps.Count;
        var upstream = graph.Upstream;
        var downstreamCount = new int[n];
        foreach (var ups in upstream)
        {
            foreach (var u in ups) downstreamCount[u]++;
        }
        var downstream = new int[n][];
        for (var i = 0; i < n; i++) downstream[i] = new int[downstreamCount[i]];
        var filled = new int[n];
        var consumers = new List<int>?[n];
        for (var i = 0; i < n; i++)
        {
            foreach (var u in upstream[i]) downstream[u][filled[u]++] = i;
            foreach (var input in steps[i].Inputs)
            {
                // The reserved input "input" (records from the caller) is not a step unless one is named so. A step
                // reading two outputs of one producer is one consumer of it.
                if (graph.Index.TryGetValue(Execution.StepInputs.ProducerOf(input), out var producer) &&
                    (consumers[producer] ??= []) is var list && !list.Contains(i)) list.Add(i);
            }
        }

        // Kahn's algorithm; the ready steps are taken in definition order, so plans are the same from run to run.
        var order = new int[n];
        var count = 0;
        var level = new int[n];
        var waiting = new int[n];
        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < n; i++)
        {
            waiting[i] = upstream[i].Length;
            if (waiting[i] == 0) ready.Enqueue(i, i);
        }
        while (ready.TryDequeue(out var current, out _))
        {
            order[count++] = current;
            foreach (var next in downstream[current])
            {
                level[next] = Math.Max(level[next], level[current] + 1);
                if (--waiting[next] == 0) ready.Enqueue(next, next);
            }
        }

        var position = new int[n];
        for (var p = 0; p < n; p++) position[order[p]] = p;
        int[] Positions(IReadOnlyList<int> indexes)
        {
            var result = new int[indexes.Count];
            for (var k = 0; k < result.Length; k++) result[k] = position[indexes[k]];
            return result;
        }
        var planned = new PlannedStep[n];
        for (var p = 0; p < n; p++)
        {
            var i = order[p];
            planned[p] = new PlannedStep(steps[i], p)
            {
                Level = level[i],
                Upstream = Positions(upstream[i]),
                Downstream = Positions(downstream[i]),
                Consumers = consumers[i] is { } c ? Positions(c) : [],
            };
        }
        return new ExecutionPlan(definition, planned);
    }
}
