using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Pipeline.Core.Definitions;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.State;
using Pipeline.Core.Steps;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Pipeline.Core.Execution;

public sealed partial class PipelineExecutor
{
    private sealed partial class Run
    {
        private readonly PriorityQueue<int, int> _ready = new();
        private readonly Channel<int> _completions = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true });
        private readonly List<Task> _pumps = [];
        private AttemptRecorder _recorder = null!;
        private RecordBroadcast? _pipelineInput;
        private int[][] _gatedBy = [];
        private CancellationToken _runToken;
        private bool _stopping;
        private string? _firstError;
        private int _active;
        private int _streaming;
        private int _throttle;
        private HashSet<int> _rerun = [];

        public async Task<RunResult> ExecuteAsync(CancellationToken cancellationToken)
        {
            _runToken = cancellationToken;
            var store = _request.Store;
            _recorder = new AttemptRecorder(store);
            var variables = _scope.Variables.ToDictionary(kv => kv.Key, kv => _scope.Masker.Apply(kv.Value), StringComparer.Ordinal);
            if (store is not null)
            {
                await store.StartRunAsync(new RunRecord
                {
                    RunId = RunId,
                    PipelineId = PipelineId,
                    Status = RunStatus.Running,
                    StartedAt = StartedAt,
                    Variables = CallerVariablesMasked(),
                    DefinitionPath = Definition.SourcePath,
                    DefinitionText = Definition.SourceText,
                    ResumedFrom = _request.ResumeRunId,
                }, CancellationToken.None).ConfigureAwait(false);
            }
            Emit(PipelineEventKind.RunStarted, _request.ResumeRunId is null
                ? $"Run {RunId} of '{PipelineId}' started ({_states.Length} steps)."
                : $"Run {RunId} of '{PipelineId}' started, resuming run {_request.ResumeRunId}.");
            Emit(PipelineEventKind.RunPlanned, "Plan: " + string.Join(" | ", _plan.Levels.Select(l => string.Join(", ", l.Select(s => s.Id)))), level: LogLevel.Verbose);

            _throttle = !_request.Parallel ? 1
                : _request.ThrottleLimit > 0 ? _request.ThrottleLimit
                : Definition.MaxParallel > 0 ? Definition.MaxParallel
                : Environment.ProcessorCount;

            PrepareRecords();
            PrepareResume();
            foreach (var state in _states)
            {
                state.PendingControl = ControlUpstream(state).Count();
                state.PendingInputs = InputUpstream(state).Count();
            }
            PrepareGates();
            foreach (var state in _states) TryReady(state.Planned.Index);

            while (true)
            {
                while (_ready.Count > 0 && _active < _throttle)
                {
                    var index = _ready.Dequeue();
                    if (!Recheck(index)) continue;
                    _active++;
                    Start(index);
                }
                if (_active == 0 && _streaming == 0 && _ready.Count == 0) break;
                var finished = await _completions.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                if (_states[finished].Planned.Definition.Inputs.Count > 0 && HasRealInputs(_states[finished])) _streaming--;
                else _active--;
                OnFinished(finished);
            }

            foreach (var state in _states.Where(s => !s.Finished))
                MarkNotRun(state, _runToken.IsCancellationRequested ? RunStatus.Cancelled : RunStatus.Skipped,
                    _runToken.IsCancellationRequested ? "the run was cancelled" : "it could not be scheduled");

            await Task.WhenAll(_pumps).ConfigureAwait(false);

            var cancelled = _runToken.IsCancellationRequested;
            var failed = _states.Any(s => s.Status == RunStatus.Failed);
            if (cancelled || failed) await RollbackAsync().ConfigureAwait(false);

            await _recorder.CompleteAsync().ConfigureAwait(false);
            var status = cancelled ? RunStatus.Cancelled : failed ? RunStatus.Failed : RunStatus.Succeeded;
            var endedAt = _time.GetUtcNow();
            var error = cancelled ? StopReason ?? "The run was cancelled." : _firstError;
            if (store is not null)
                await store.FinishRunAsync(RunId, status, endedAt, error, CancellationToken.None).ConfigureAwait(false);
            var steps = _states.Select(ToResult).ToArray();
            var result = new RunResult
            {
                RunId = RunId,
                PipelineId = PipelineId,
                Status = status,
                StartedAt = StartedAt,
                EndedAt = endedAt,
                Steps = steps,
                Error = error,
                ResumedFrom = _request.ResumeRunId,
                Summary = RunSummary.Create(Definition, steps),
            };
            foreach (var alert in result.Summary.Alerts)
                Emit(PipelineEventKind.Alert, alert.Message, alert.StepId, LogLevel.Warning);
            Emit(PipelineEventKind.RunFinished, $"Run {RunId} {status.ToString().ToLowerInvariant()} in {Duration.Format(result.Duration)}.",
                level: status == RunStatus.Succeeded ? LogLevel.Information : LogLevel.Error, status: status, duration: result.Duration);
            return result;
        }

        private Dictionary<string, string> CallerVariablesMasked() =>
            _request.Variables.Concat(_request.ResumeRunId is null ? [] : _scope.Variables.Where(kv => !_request.Variables.ContainsKey(kv.Key) && !Definition.Variables.ContainsKey(kv.Key)))
                .GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => _scope.Masker.Apply(g.First().Value), StringComparer.Ordinal);

        private StepResult ToResult(StepState s) => new()
        {
            StepId = s.Planned.Id,
            Name = s.Planned.Definition.DisplayName,
            Type = s.Planned.Definition.Type,
            Status = s.Status,
            Attempts = s.Attempts,
            StartedAt = s.StartedAt,
            EndedAt = s.EndedAt,
            Rows = s.Rows,
            Bytes = s.Bytes,
            Files = s.Files,
            ErrorKind = s.ErrorKind,
            Error = s.Error,
            Reason = s.Reason,
            Outputs = s.Outputs,
            Resumed = s.Resumed,
            RollbackStatus = s.RollbackStatus,
        };

        private IEnumerable<int> ControlUpstream(StepState state) =>
            state.Planned.Definition.DependsOn.Except(Producers(state), StringComparer.Ordinal).Select(id => _plan[id].Index);

        private IEnumerable<int> InputUpstream(StepState state) =>
            Producers(state).Where(_plan.Contains).Select(id => _plan[id].Index);

        /// <summary>The steps whose records a step reads, once each (a step may read several outputs of one).</summary>
        private static IEnumerable<string> Producers(StepState state) =>
            state.Planned.Definition.Inputs.Select(StepInputs.ProducerOf).Distinct(StringComparer.Ordinal);

        /// <summary>The stream an input reference names: a step's main or named output, or the caller's records.</summary>
        private RecordBroadcast? BroadcastOf(string input)
        {
            var producer = StepInputs.ProducerOf(input);
            if (!_plan.Contains(producer)) return _pipelineInput;
            var state = _states[_plan[producer].Index];
            return StepInputs.PortOf(input) is { } port ? state.Ports.GetValueOrDefault(port) : state.Output;
        }

        /// <summary>Whether records stream into the step while it runs: from a step of the run, or from the caller.
        /// Such a step runs alongside its producers, outside the throttle. A step that would read the caller's records
        /// when the caller gives none reads nothing and waits for a slot like any other.</summary>
        private bool HasRealInputs(StepState state) =>
            state.Planned.Definition.Inputs.Any(i => _request.Input is not null || _plan.Contains(StepInputs.ProducerOf(i)));

        // ----- records -----

        private void PrepareRecords()
        {
            var outputStep = OutputStepId();
            var read = _states.SelectMany(s => s.Planned.Definition.Inputs).ToHashSet(StringComparer.Ordinal);
            foreach (var input in read)
            {
                if (StepInputs.PortOf(input) is { } port && _plan.Contains(StepInputs.ProducerOf(input)))
                    _states[_plan[StepInputs.ProducerOf(input)].Index].Ports[port] = new RecordBroadcast(input);
            }
            foreach (var state in _states)
            {
                var hostOutput = _request.Output is not null && state.Planned.Id == outputStep;
                if (!read.Contains(state.Planned.Id) && !hostOutput) continue;
                state.Output = new RecordBroadcast(state.Planned.Id);
                if (hostOutput)
                {
                    var stream = state.Output.Subscribe("<host>", _request.QueueDepth);
                    _pumps.Add(PumpToHostAsync(stream));
                }
            }
            if (_states.Any(s => s.Planned.Definition.Inputs.Contains(StepInputs.PipelineInput) && !_plan.Contains(StepInputs.PipelineInput)))
                _pipelineInput = new RecordBroadcast(StepInputs.PipelineInput);
            SubscribeConsumers();
        }

        private string? OutputStepId()
        {
            if (_request.OutputStep is not null) return _request.OutputStep;
            if (_plan.Contains("output")) return "output";
            // The last step in definition order that produces records nobody else reads.
            var candidates = _states
                .Where(s => s.Planned.Consumers.Count == 0 && StepInputs.Info(s.Planned.Definition, _executor._registry)?.ProducesRecords == true)
                .Select(s => s.Planned.Id)
                .ToHashSet(StringComparer.Ordinal);
            return Definition.Steps.LastOrDefault(d => candidates.Contains(d.Id))?.Id;
        }

        // The output step's failure is its step's to report, and a cancelled run's host stops taking records: neither
        // may turn the run into an exception instead of a failed or cancelled result.
        private async Task PumpToHostAsync(IAsyncEnumerable<RecordBatch> stream)
        {
            await Task.Yield();
            await using var batches = stream.GetAsyncEnumerator();
            while (true)
            {
                try
                {
                    if (!await batches.MoveNextAsync().ConfigureAwait(false)) return;
                    await _request.Output!(batches.Current, _runToken).ConfigureAwait(false);
                }
                catch (StepException)
                {
                    return;
                }
                catch (OperationCanceledException) when (_runToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }

        private async Task PumpPipelineInputAsync()
        {
            await Task.Yield();
            try
            {
                if (_request.Input is not null)
                {
                    await foreach (var batch in _request.Input.WithCancellation(_runToken).ConfigureAwait(false))
                        await _pipelineInput!.WriteAsync(batch, _runToken).ConfigureAwait(false);
                }
                _pipelineInput!.Complete();
            }
            catch (Exception ex)
            {
                _pipelineInput!.Complete(ex);
            }
        }

        // Every consumer subscribes before any producer starts, so that no batch is written before its reader exists.
        private void SubscribeConsumers()
        {
            foreach (var state in _states)
            {
                var inputs = new Dictionary<string, IAsyncEnumerable<RecordBatch>>(StringComparer.Ordinal);
                foreach (var id in state.Planned.Definition.Inputs)
                    inputs[id] = BroadcastOf(id)!.Subscribe(state.Planned.Id, _request.QueueDepth);
                state.Inputs = inputs;
            }
        }

        private void DetachFromInputs(StepState state)
        {
            foreach (var id in state.Planned.Definition.Inputs)
                BroadcastOf(id)?.Detach(state.Planned.Id);
        }

        // A producer may start only when each of its consumers could start with it; otherwise the producer would
        // fill its queue and wait for a consumer that waits for something else.
        private void PrepareGates()
        {
            var gated = new List<int>[_states.Length];
            for (var i = 0; i < gated.Length; i++) gated[i] = [];
            foreach (var consumer in _states)
            {
                foreach (var producer in InputUpstream(consumer))
                {
                    foreach (var control in ControlUpstream(consumer))
                    {
                        gated[control].Add(producer);
                        _states[producer].PendingGate++;
                    }
                }
            }
            _gatedBy = gated.Select(g => g.ToArray()).ToArray();
        }

        // ----- resume -----

        private void PrepareResume()
        {
            if (_request.ResumeRunId is null)
            {
                _rerun = _states.Select(s => s.Planned.Index).ToHashSet();
                return;
            }
            _rerun = _states.Where(s => !_carried.ContainsKey(s.Planned.Id)).Select(s => s.Planned.Index).ToHashSet();
            // Records are not kept between runs: a producer feeding a step that reruns must rerun too. And a step
            // after one that reruns runs again after it: a cleanup (trigger all_done) that ran after the failure
            // must also run after the retry.
            var changed = true;
            while (changed)
            {
                changed = false;
                foreach (var index in _rerun.ToArray())
                {
                    foreach (var producer in InputUpstream(_states[index]))
                        changed |= _rerun.Add(producer);
                    foreach (var downstream in _states[index].Planned.Downstream)
                        changed |= _rerun.Add(downstream);
                }
            }
        }

        // ----- scheduling -----

        private void TryReady(int index)
        {
            var state = _states[index];
            if (state.Finished || state.Started || state.Queued || state.PendingControl > 0 || state.PendingInputs > 0) return;
            if (state.PendingGate > 0) return;

            if (_runToken.IsCancellationRequested)
            {
                MarkNotRun(state, RunStatus.Cancelled, "the run was cancelled");
                return;
            }
            if (!_rerun.Contains(index))
            {
                CarryOver(state);
                return;
            }
            if (state.InputUnavailable is { } input)
            {
                MarkNotRun(state, RunStatus.Skipped, $"its input '{input}' did not run", countsAsFailed: _states[_plan[input].Index].CountsAsFailed);
                return;
            }
            if (TriggerBlocks(state) is { } blocked)
            {
                MarkNotRun(state, RunStatus.Skipped, blocked.Reason, blocked.UpstreamFailed);
                return;
            }
            if (state.Planned.Definition.When is { } condition)
            {
                bool holds;
                try
                {
                    holds = Conditions.Evaluate(condition, _scope, Ancestors(state), StepValue);
                }
                catch (Exception ex)
                {
                    state.Started = true;
                    state.StartedAt = state.EndedAt = _time.GetUtcNow();
                    Fail(state, ErrorKind.Configuration, $"The condition '{condition}' could not be evaluated: {ex.Message}");
                    Finish(state);
                    return;
                }
                if (!holds)
                {
                    MarkNotRun(state, RunStatus.Skipped, $"its condition '{condition}' is false");
                    return;
                }
            }
            if (HasRealInputs(state))
            {
                // A consumer runs alongside its producers, whatever the throttle: they stream to it.
                _streaming++;
                Start(index);
            }
            else
            {
                // A step can become ready twice while the run is set up: once when a carried-over or skipped upstream
                // step finishes, and once more in the setup loop that offers every step.
                state.Queued = true;
                _ready.Enqueue(index, index);
            }
        }

        private bool Recheck(int index)
        {
            var state = _states[index];
            if (_runToken.IsCancellationRequested)
            {
                MarkNotRun(state, RunStatus.Cancelled, "the run was cancelled");
                return false;
            }
            if (_stopping && state.Planned.Definition.Trigger is TriggerRule.AllSuccess or TriggerRule.OneSuccess or TriggerRule.NoneFailed)
            {
                MarkNotRun(state, RunStatus.Skipped, $"the run is stopping after a failure (on_failure: stop)");
                return false;
            }
            return true;
        }

        private (string Reason, bool UpstreamFailed)? TriggerBlocks(StepState state)
        {
            var upstream = ControlUpstream(state).Select(i => _states[i]).ToArray();
            var rule = state.Planned.Definition.Trigger;
            var failed = upstream.Where(u => u.CountsAsFailed).ToArray();
            string Names(IEnumerable<StepState> s) => string.Join(", ", s.Select(x => $"'{x.Planned.Id}'"));
            var name = PipelineYaml.SnakeCase(rule);
            // Skipped because its upstream failed, it counts as failed (so a one_failed step after it still runs).
            if (_stopping && rule is TriggerRule.AllSuccess or TriggerRule.OneSuccess or TriggerRule.NoneFailed)
                return failed.Length > 0
                    ? ($"upstream {Names(failed)} failed (trigger {name}; the run is stopping after a failure)", true)
                    : ("the run is stopping after a failure (on_failure: stop)", false);
            if (upstream.Length == 0) return null;
            var succeeded = upstream.Where(u => u.Status == RunStatus.Succeeded).ToArray();
            return rule switch
            {
                TriggerRule.AllSuccess when succeeded.Length < upstream.Length =>
                    failed.Length > 0 ? ($"upstream {Names(failed)} failed (trigger {name})", true)
                                      : ($"upstream {Names(upstream.Except(succeeded))} did not succeed (trigger {name})", false),
                TriggerRule.AllFailed when failed.Length < upstream.Length => ($"not every upstream step failed (trigger {name})", false),
                TriggerRule.OneFailed when failed.Length == 0 => ($"no upstream step failed (trigger {name})", false),
                TriggerRule.OneSuccess when succeeded.Length == 0 => ($"no upstream step succeeded (trigger {name})", failed.Length > 0),
                TriggerRule.NoneFailed when failed.Length > 0 => ($"upstream {Names(failed)} failed (trigger {name})", true),
                _ => null,
            };
        }

        private HashSet<string> Ancestors(StepState state)
        {
            var result = new HashSet<string>(StringComparer.Ordinal);
            var stack = new Stack<int>(state.Planned.Upstream);
            while (stack.Count > 0)
            {
                var index = stack.Pop();
                if (!result.Add(_states[index].Planned.Id)) continue;
                foreach (var u in _states[index].Planned.Upstream) stack.Push(u);
            }
            return result;
        }

        private object? StepValue(string name)
        {
            // steps.ID.FIELD
            var parts = name.Split('.', 3);
            if (parts.Length < 3 || parts[0] != "steps" || !_plan.Contains(parts[1])) return null;
            var s = _states[_plan[parts[1]].Index];
            return parts[2] switch
            {
                "status" => s.Status.ToString().ToLowerInvariant(),
                "rows" => s.Rows,
                "bytes" => s.Bytes,
                "files" => s.Files,
                "attempts" => (long)s.Attempts,
                "error" => s.Error,
                "error_kind" => s.ErrorKind is { } k ? ErrorKinds.ToName(k) : null,
                var output => s.Outputs.TryGetValue(output, out var v) ? v : null,
            };
        }

        private string? StepValueText(string name) => StepValue(name) switch
        {
            null => null,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var v => v.ToString(),
        };

        private void MarkNotRun(StepState state, RunStatus status, string reason, bool countsAsFailed = false)
        {
            state.Status = status;
            state.Reason = reason;
            state.CountsAsFailed = countsAsFailed;
            Emit(status == RunStatus.Cancelled ? PipelineEventKind.StepCancelled : PipelineEventKind.StepSkipped,
                $"Step '{state.Planned.Id}' {(status == RunStatus.Cancelled ? "cancelled" : "skipped")}: {reason}.", state.Planned.Id,
                LogLevel.Verbose, status: status);
            RecordNotRun(state);
            Finish(state);
        }

        private void CarryOver(StepState state)
        {
            var record = _carried[state.Planned.Id];
            state.Status = RunStatus.Succeeded;
            state.Resumed = true;
            state.Reason = $"succeeded in run {record.RunId}";
            state.Rows = record.Rows;
            state.Bytes = record.Bytes;
            state.Outputs = OutputsFromJson(record.MetricsJson);
            Emit(PipelineEventKind.StepResumed, $"Step '{state.Planned.Id}' succeeded in an earlier run; not run again.", state.Planned.Id, LogLevel.Verbose, status: RunStatus.Succeeded);
            _recorder.Add(record with { RunId = RunId, Attempt = 0 });
            Finish(state);
        }

        private void RecordNotRun(StepState state)
        {
            var now = _time.GetUtcNow();
            _recorder.Add(new StepAttemptRecord
            {
                RunId = RunId,
                StepId = state.Planned.Id,
                Attempt = 0,
                Status = state.Status,
                StartedAt = now,
                EndedAt = now,
                ErrorMessage = state.Reason,
            });
        }

        /// <summary>Marks a step finished and lets its downstream steps decide.</summary>
        private void Finish(StepState state)
        {
            state.Finished = true;
            state.FinishOrder = Interlocked.Increment(ref _finished);
            if (state.Status == RunStatus.Failed)
            {
                state.CountsAsFailed = true;
                _firstError ??= $"Step '{state.Planned.Id}' failed: {state.Error}";
                if (Definition.OnFailure == FailurePolicy.Stop) _stopping = true;
            }
            if (!state.Started)
            {
                // Nothing will stream from a step that never started: its consumers cannot run either.
                state.CompleteOutputs();
                foreach (var consumer in state.Planned.Consumers)
                {
                    var c = _states[consumer];
                    c.InputUnavailable ??= state.Planned.Id;
                    c.PendingInputs--;
                }
            }
            DetachFromInputs(state);
            foreach (var downstream in state.Planned.Downstream)
            {
                var d = _states[downstream];
                if (!Producers(d).Contains(state.Planned.Id, StringComparer.Ordinal)) d.PendingControl--;
                TryReady(downstream);
            }
            foreach (var gated in _gatedBy[state.Planned.Index])
            {
                _states[gated].PendingGate--;
                TryReady(gated);
            }
            foreach (var consumer in state.Planned.Consumers) TryReady(consumer);
        }

        private void Start(int index)
        {
            var state = _states[index];
            state.Started = true;
            state.StartedAt = _time.GetUtcNow();
            var inputs = state.Inputs;
            if (_pipelineInput is not null && state.Planned.Definition.Inputs.Contains(StepInputs.PipelineInput))
                StartPipelineInputOnce();
            foreach (var consumer in state.Planned.Consumers)
            {
                _states[consumer].PendingInputs--;
            }
            _ = RunStepAsync(state, inputs);
            foreach (var consumer in state.Planned.Consumers) TryReady(consumer);
        }

        private bool _inputStarted;

        private void StartPipelineInputOnce()
        {
            if (_inputStarted) return;
            _inputStarted = true;
            _pumps.Add(PumpPipelineInputAsync());
        }

        private void OnFinished(int index) => Finish(_states[index]);

        private void Fail(StepState state, ErrorKind kind, string message)
        {
            state.Status = RunStatus.Failed;
            state.ErrorKind = kind;
            state.Error = _scope.Masker.Apply(message);
            Emit(PipelineEventKind.StepFailed, $"Step '{state.Planned.Id}' failed ({ErrorKinds.ToName(kind)}): {message}", state.Planned.Id, LogLevel.Error,
                state.Attempts, RunStatus.Failed, kind);
        }

        private static Dictionary<string, object?> OutputsFromJson(string? json)
        {
            var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            if (json is null) return result;
            try
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in outputs.EnumerateObject())
                    {
                        result[p.Name] = p.Value.ValueKind switch
                        {
                            JsonValueKind.String => p.Value.GetString(),
                            JsonValueKind.Number => p.Value.TryGetInt64(out var l) ? l : p.Value.GetDouble(),
                            JsonValueKind.True => true,
                            JsonValueKind.False => false,
                            JsonValueKind.Null => null,
                            _ => p.Value.GetRawText(),
                        };
                    }
                }
            }
            catch (JsonException)
            {
                // An unreadable record of an earlier run only loses its outputs.
            }
            return result;
        }
    }
}
