using System.Globalization;
using System.Security.Cryptography;
using Pipeline.Core.Definitions;
using Pipeline.Core.Observability;
using Pipeline.Core.Planning;
using Pipeline.Core.State;
using Pipeline.Core.Steps;
using Pipeline.Core.Templates;
using Pipeline.RemoteFs;

namespace Pipeline.Core.Execution;

/// <summary>
/// Runs pipelines: validates and plans a definition, takes the run lock, runs ready steps (concurrently up to a
/// throttle with <see cref="RunRequest.Parallel"/>) with per-step timeout and retry, applies trigger rules and
/// conditions, streams records between steps, rolls back on failure, records everything in the run store and
/// raises an event for every decision.
/// </summary>
public sealed partial class PipelineExecutor
{
    private readonly StepTypeRegistry _registry;
    private readonly TimeProvider _time;
    private readonly RemoteFileSystems _fileSystems;

    /// <summary>Creates an executor over a registry of step types.</summary>
    public PipelineExecutor(StepTypeRegistry registry, TimeProvider? timeProvider = null, RemoteFileSystems? fileSystems = null)
    {
        _registry = registry;
        _time = timeProvider ?? TimeProvider.System;
        _fileSystems = fileSystems ?? RemoteFileSystems.CreateDefault();
    }

    /// <summary>The step types this executor runs.</summary>
    public StepTypeRegistry Registry => _registry;

    /// <summary>A new run id: sortable by time, unique across processes (<c>20261122-003512-4f3a9c</c>).</summary>
    public static string NewRunId(TimeProvider time) =>
        time.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();

    /// <summary>Validates and plans a definition without running it (for -WhatIf and <c>pipeline plan</c>).</summary>
    /// <exception cref="DefinitionException">Every problem found.</exception>
    public ExecutionPlan Plan(PipelineDefinition definition, IEnumerable<string>? callerVariables = null)
    {
        var errors = DefinitionValidator.Validate(definition, _registry, callerVariables: callerVariables);
        if (errors.Count > 0) throw new DefinitionException(errors);
        return ExecutionPlan.Create(StepInputs.Normalize(definition, _registry));
    }

    /// <summary>Runs a pipeline to its end and returns its outcome. A failed run returns a result with status
    /// Failed; it does not throw.</summary>
    /// <exception cref="DefinitionException">The definition is invalid; nothing ran and no run was recorded.</exception>
    /// <exception cref="RunLockedException">Another run holds every slot of the pipeline; nothing ran.</exception>
    /// <exception cref="RunNotFoundException">A resume names a run the store does not have.</exception>
    /// <exception cref="ArgumentException">A resume names a run that cannot be resumed (it succeeded, or belongs to another pipeline).</exception>
    public async Task<RunResult> RunAsync(RunRequest request, IPipelineEventSink? events = null, CancellationToken cancellationToken = default)
    {
        var runId = NewRunId(_time);
        var startedAt = _time.GetUtcNow();
        var definition = request.Definition;
        var variables = request.Variables;
        var templateTime = _time.GetLocalNow();
        IReadOnlyDictionary<string, StepAttemptRecord> carried = new Dictionary<string, StepAttemptRecord>();
        var resumedRuns = new List<string>();

        if (request.ResumeRunId is { } resumeId)
        {
            if (request.Store is null) throw new ArgumentException("Resuming a run needs the run store.", nameof(request));
            var original = await request.Store.GetRunAsync(resumeId, cancellationToken).ConfigureAwait(false)
                ?? throw new RunNotFoundException(resumeId);
            if (definition is null)
            {
                if (original.DefinitionText is null)
                    throw new ArgumentException($"The run '{resumeId}' was started from objects, not a file: pass the same steps again to resume it.", nameof(request));
                definition = DefinitionLoader.LoadText(original.DefinitionText, _registry, original.DefinitionPath, original.Variables.Keys.Concat(request.Variables.Keys));
            }
            if (definition.PipelineId != original.PipelineId)
                throw new ArgumentException($"The run '{resumeId}' belongs to the pipeline '{original.PipelineId}', not '{definition.PipelineId}'.", nameof(request));
            if (original.Status == RunStatus.Succeeded)
                throw new ArgumentException($"The run '{resumeId}' succeeded; there is nothing to resume.", nameof(request));
            // The runs this one continues, newest first: a step's checkpoints may have been saved by any of them.
            for (var earlier = original; earlier is not null && resumedRuns.Count < 100 && !resumedRuns.Contains(earlier.RunId);
                 earlier = earlier.ResumedFrom is { } previous ? await request.Store.GetRunAsync(previous, cancellationToken).ConfigureAwait(false) : null)
                resumedRuns.Add(earlier.RunId);
            var merged = new Dictionary<string, string>(original.Variables, StringComparer.Ordinal);
            foreach (var (k, v) in request.Variables) merged[k] = v;
            variables = merged;
            templateTime = original.StartedAt.ToOffset(_time.LocalTimeZone.GetUtcOffset(original.StartedAt));
            carried = (await request.Store.GetAttemptsAsync(resumeId, cancellationToken).ConfigureAwait(false))
                .Where(a => !a.IsRollback && a.Status == RunStatus.Succeeded)
                .GroupBy(a => a.StepId, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        }
        if (definition is null) throw new ArgumentException("The request has no definition.", nameof(request));

        // Everything that can be known before running is checked now, and reported at once.
        var masker = new SecretMasker();
        TemplateScope scope;
        try
        {
            scope = new TemplateScope(definition.PipelineId, runId, templateTime, definition.Variables, variables, request.Secrets, masker);
        }
        catch (TemplateException ex)
        {
            // Report the variables' problems with every other problem of the definition, each where it stands.
            var found = DefinitionValidator.Validate(definition, _registry, callerVariables: variables.Keys);
            var fromScope = ex.Problems.Where(p => !found.Any(f => f.Message == p.Message)).Select(p => new DefinitionError("unresolved-template", p.Message,
                (p.Variable is null ? null : definition.ValueLocations.GetValueOrDefault("variables." + p.Variable)) ?? definition.KeyLocations.GetValueOrDefault("variables")));
            throw new DefinitionException(DefinitionLoader.Sorted(found.Concat(fromScope)));
        }
        var errors = DefinitionValidator.Validate(definition, _registry, scope, variables.Keys);
        if (errors.Count > 0) throw new DefinitionException(errors);
        var normalized = StepInputs.Normalize(definition, _registry);
        var plan = ExecutionPlan.Create(normalized);

        await using var runLock = request.Store is null ? null
            : await request.Store.AcquireLockAsync(definition.PipelineId, runId, definition.Concurrency, cancellationToken).ConfigureAwait(false);

        var run = new Run(this, request, plan, scope, runId, startedAt, carried, resumedRuns, events);
        // A run whose slot another run took over (this process stopped heart-beating for too long: suspended,
        // frozen) must stop, or two runs would write the same outputs.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, runLock?.Lost ?? CancellationToken.None);
        using var lost = runLock?.Lost.Register(() => run.StopReason =
            $"The run was stopped: another run of '{definition.PipelineId}' took over its slot because this process had stopped heart-beating (it was suspended or frozen).");
        return await run.ExecuteAsync(stop.Token).ConfigureAwait(false);
    }

    /// <summary>The state of one run while it executes.</summary>
    private sealed partial class Run
    {
        private readonly PipelineExecutor _executor;
        private readonly RunRequest _request;
        private readonly ExecutionPlan _plan;
        private readonly TemplateScope _scope;
        private readonly IPipelineEventSink? _events;
        private readonly IReadOnlyDictionary<string, StepAttemptRecord> _carried;
        private readonly IReadOnlyList<string> _resumedRuns;
        private readonly StepState[] _states;
        private readonly TimeProvider _time;

        public Run(PipelineExecutor executor, RunRequest request, ExecutionPlan plan, TemplateScope scope, string runId, DateTimeOffset startedAt,
            IReadOnlyDictionary<string, StepAttemptRecord> carried, IReadOnlyList<string> resumedRuns, IPipelineEventSink? events)
        {
            _resumedRuns = resumedRuns;
            _executor = executor;
            _request = request;
            _plan = plan;
            _scope = scope;
            _events = events;
            _carried = carried;
            _time = executor._time;
            RunId = runId;
            StartedAt = startedAt;
            _states = plan.Steps.Select(s => new StepState(s)).ToArray();
        }

        public string RunId { get; }

        public DateTimeOffset StartedAt { get; }

        /// <summary>Why the run was stopped, when it was not the caller who cancelled it.</summary>
        public string? StopReason { get; set; }

        private PipelineDefinition Definition => _plan.Definition;

        private string PipelineId => Definition.PipelineId;

        private void Emit(PipelineEventKind kind, string message, string? stepId = null, LogLevel level = LogLevel.Information,
            int? attempt = null, RunStatus? status = null, ErrorKind? errorKind = null, TimeSpan? duration = null, TimeSpan? delay = null)
        {
            if (_events is null) return;
            _events.OnEvent(new PipelineEvent
            {
                Kind = kind,
                Time = _time.GetUtcNow(),
                RunId = RunId,
                PipelineId = PipelineId,
                StepId = stepId,
                Attempt = attempt,
                Message = _scope.Masker.Apply(message),
                Level = level,
                Status = status,
                ErrorKind = errorKind,
                Duration = duration,
                Delay = delay,
                RunProgress = (Volatile.Read(ref _finished), _states.Length),
            });
        }

        private int _finished;
    }
}
