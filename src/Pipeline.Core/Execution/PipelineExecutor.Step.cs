using System.Text.Json;
using Pipeline.Core.Definitions;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.State;
using Pipeline.Core.Steps;
using Pipeline.Core.Templates;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Pipeline.Core.Execution;

public sealed partial class PipelineExecutor
{
    private sealed partial class Run
    {
        /// <summary>Runs every attempt of one step, then reports its completion to the scheduler. Never throws.</summary>
        private async Task RunStepAsync(StepState state, IReadOnlyDictionary<string, IAsyncEnumerable<RecordBatch>> inputs)
        {
            await Task.Yield();
            var step = state.Planned.Definition;
            try
            {
                var handler = step.Handler ?? (_executor._registry.TryGet(step.Type, out var h) ? h : throw new StepException(ErrorKind.Configuration, $"Unknown step type '{step.Type}'."));
                var pipeline = BuildResilience(state);
                await pipeline.ExecuteAsync(async token => await AttemptAsync(state, handler, inputs, token).ConfigureAwait(false), _runToken).ConfigureAwait(false);
                state.Status = RunStatus.Succeeded;
                state.CompleteOutputs();
                Emit(PipelineEventKind.StepSucceeded, $"Step '{step.Id}' succeeded in {Duration.Format(_time.GetUtcNow() - state.StartedAt!.Value)}" +
                    (state.Attempts > 1 ? $" after {state.Attempts} attempts." : "."), step.Id, attempt: state.Attempts, status: RunStatus.Succeeded,
                    duration: _time.GetUtcNow() - state.StartedAt);
            }
            catch (Exception ex)
            {
                state.CompleteOutputs(ex);
                var kind = Kind(ex);
                if (kind == ErrorKind.Cancelled && _runToken.IsCancellationRequested)
                {
                    state.Status = RunStatus.Cancelled;
                    state.Reason = "the run was cancelled while it ran";
                    Emit(PipelineEventKind.StepCancelled, $"Step '{step.Id}' cancelled.", step.Id, LogLevel.Warning, state.Attempts, RunStatus.Cancelled);
                }
                else
                {
                    Fail(state, kind, Message(ex));
                }
            }
            finally
            {
                state.EndedAt = _time.GetUtcNow();
                DetachFromInputs(state);
                _completions.Writer.TryWrite(state.Planned.Index);
            }
        }

        private readonly Dictionary<TimeSpan, ResiliencePipeline> _timeoutPipelines = [];

        private ResiliencePipeline BuildResilience(StepState state)
        {
            var step = state.Planned.Definition;
            var policy = Definition.RetryOf(step);
            var timeout = Definition.TimeoutOf(step);
            if (policy.MaxAttempts <= 1)
            {
                // Most steps have no retry: share one pipeline per timeout instead of building one per step.
                if (timeout is null) return ResiliencePipeline.Empty;
                lock (_timeoutPipelines)
                {
                    if (!_timeoutPipelines.TryGetValue(timeout.Value, out var shared))
                    {
                        shared = new ResiliencePipelineBuilder { TimeProvider = _time }.AddTimeout(timeout.Value).Build();
                        _timeoutPipelines[timeout.Value] = shared;
                    }
                    return shared;
                }
            }
            var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
            if (policy.MaxAttempts > 1)
            {
                builder.AddRetry(new RetryStrategyOptions
                {
                    MaxRetryAttempts = policy.MaxAttempts - 1,
                    ShouldHandle = args => ValueTask.FromResult(
                        args.Outcome.Exception is { } ex && !_runToken.IsCancellationRequested && policy.Retries(Kind(ex)) &&
                        state.BatchesWritten == 0),
                    DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(RetryDelay(policy, args.AttemptNumber + 2)),
                    OnRetry = args =>
                    {
                        Emit(PipelineEventKind.StepRetrying,
                            $"Step '{step.Id}' will retry in {Duration.Format(args.RetryDelay)} (attempt {args.AttemptNumber + 2} of {policy.MaxAttempts}).",
                            step.Id, LogLevel.Warning, args.AttemptNumber + 2, delay: args.RetryDelay);
                        return default;
                    },
                });
            }
            if (timeout is { } t)
                builder.AddTimeout(new TimeoutStrategyOptions { Timeout = t });
            return builder.Build();
        }

        private static TimeSpan RetryDelay(RetryPolicy policy, int nextAttempt)
        {
            var delay = policy.DelayBefore(nextAttempt);
            if (!policy.Jitter) return delay;
            var factor = 0.75 + Random.Shared.NextDouble() * 0.5;
            return TimeSpan.FromTicks((long)(delay.Ticks * factor));
        }

        private ErrorKind Kind(Exception ex) => ex switch
        {
            TimeoutRejectedException => ErrorKind.Timeout,
            OperationCanceledException when !_runToken.IsCancellationRequested => ErrorKind.Timeout,
            _ => ErrorClassifier.Classify(ex),
        };

        private string Message(Exception ex) => _scope.Masker.Apply(ex switch
        {
            TimeoutRejectedException => "it ran past its timeout",
            AggregateException { InnerExceptions.Count: 1 } a => a.InnerExceptions[0].Message,
            _ => ex.Message,
        });

        private async Task AttemptAsync(StepState state, IStepHandler handler, IReadOnlyDictionary<string, IAsyncEnumerable<RecordBatch>> inputs, CancellationToken token)
        {
            var step = state.Planned.Definition;
            var attempt = ++state.Attempts;
            var attemptStart = _time.GetUtcNow();
            Emit(PipelineEventKind.StepStarted, attempt == 1 ? $"Step '{step.Id}' ({step.Type}) started." : $"Step '{step.Id}' attempt {attempt} started.",
                step.Id, attempt == 1 ? LogLevel.Information : LogLevel.Verbose, attempt);
            StepContext? context = null;
            try
            {
                var options = new StepOptions(step.With.ToDictionary(kv => kv.Key,
                    kv => BindsTemplates(handler, kv.Key) ? kv.Value : _scope.RenderValue(kv.Value, step.Id, StepValueText), StringComparer.Ordinal));
                context = new StepContext(PipelineId, RunId, step.Id, attempt, options, _scope.Variables,
                    (level, message) => Emit(PipelineEventKind.StepLog, message, step.Id, level, attempt))
                {
                    WorkingDirectory = WorkingDirectory(),
                    Time = _time,
                    FileSystems = _executor._fileSystems,
                    ConnectionOptions = _request.ConnectionOptions,
                    Inputs = inputs,
                    Output = state.Output,
                    ResolveTemplate = reference => _scope.Render("{" + reference.Text + "}", step.Id, StepValueText),
                    NamedOutputs = state.Ports.ToDictionary(p => p.Key, p => (IRecordWriter)p.Value, StringComparer.Ordinal),
                    Checkpoints = state.Checkpoints ??= _request.Store is { } store
                        ? StepCheckpoints.InStore(store, RunId, step.Id, _resumedRuns)
                        : StepCheckpoints.InMemory(),
                };
                await handler.ExecuteAsync(context, token).ConfigureAwait(false);
                Absorb(state, context);
                await RecordAttemptAsync(state, attempt, attemptStart, RunStatus.Succeeded, null, null, context).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (context is not null) Absorb(state, context);
                var kind = Kind(ex);
                var timedOut = ex is OperationCanceledException && token.IsCancellationRequested && !_runToken.IsCancellationRequested;
                var message = timedOut
                    ? $"it ran past its timeout of {Duration.Format(Definition.TimeoutOf(step) ?? TimeSpan.Zero)}"
                    : Message(ex);
                state.ErrorKind = kind;
                state.Error = _scope.Masker.Apply(message);
                var status = kind == ErrorKind.Cancelled && _runToken.IsCancellationRequested ? RunStatus.Cancelled : RunStatus.Failed;
                await RecordAttemptAsync(state, attempt, attemptStart, status, kind, message, context).ConfigureAwait(false);
                if (timedOut)
                    Emit(PipelineEventKind.StepTimedOut, $"Step '{step.Id}' attempt {attempt} timed out after {Duration.Format(Definition.TimeoutOf(step) ?? TimeSpan.Zero)}.",
                        step.Id, LogLevel.Warning, attempt, errorKind: ErrorKind.Timeout);
                else if (status == RunStatus.Failed)
                    Emit(PipelineEventKind.AttemptFailed, $"Step '{step.Id}' attempt {attempt} failed ({ErrorKinds.ToName(kind)}): {message}",
                        step.Id, LogLevel.Warning, attempt, errorKind: kind);
                if (timedOut) throw new StepException(ErrorKind.Timeout, message, ex);
                throw;
            }
        }

        // Options whose references the step binds as parameters (SQL) reach it unrendered.
        private static bool BindsTemplates(IStepHandler handler, string option)
        {
            foreach (var info in handler.Info.Options)
            {
                if (info.BindsTemplates && string.Equals(info.Name, option, StringComparison.Ordinal)) return true;
            }
            return false;
        }

        private string WorkingDirectory() =>
            _request.WorkingDirectory
            ?? (Definition.SourcePath is { } path ? Path.GetDirectoryName(path)! : Directory.GetCurrentDirectory());

        private static void Absorb(StepState state, StepContext context)
        {
            state.Rows = Math.Max(context.Metrics.Rows, state.Output?.Rows ?? 0);
            state.Bytes = context.Metrics.Bytes;
            state.Files = context.Metrics.Files;
            state.Outputs = new Dictionary<string, object?>(context.Outputs, StringComparer.OrdinalIgnoreCase);
        }

        private Task RecordAttemptAsync(StepState state, int attempt, DateTimeOffset startedAt, RunStatus status, ErrorKind? kind, string? message,
            StepContext? context, bool isRollback = false, string? stepId = null)
        {
            if (_request.Store is null) return Task.CompletedTask;
            string? metrics = null;
            if (context is not null && (context.Outputs.Count > 0 || context.Metrics.Files > 0))
            {
                metrics = _scope.Masker.Apply(JsonSerializer.Serialize(new
                {
                    files = context.Metrics.Files,
                    outputs = context.Outputs.ToDictionary(kv => kv.Key, kv => kv.Value is IFormattable or string or bool or null ? kv.Value : kv.Value.ToString()),
                }));
            }
            _recorder.Add(new StepAttemptRecord
            {
                RunId = RunId,
                StepId = stepId ?? state.Planned.Id,
                Attempt = attempt,
                Status = status,
                StartedAt = startedAt,
                EndedAt = _time.GetUtcNow(),
                ErrorKind = kind is { } k ? ErrorKinds.ToName(k) : null,
                ErrorMessage = _scope.Masker.ApplyOrNull(message),
                Rows = isRollback ? 0 : Math.Max(context?.Metrics.Rows ?? 0, state.Output?.Rows ?? 0),
                Bytes = context?.Metrics.Bytes ?? 0,
                MetricsJson = metrics,
                IsRollback = isRollback,
            });
            return Task.CompletedTask;
        }

        /// <summary>Runs the rollback actions of the steps that succeeded in this run, latest first.</summary>
        private async Task RollbackAsync()
        {
            var succeeded = _states
                .Where(s => s.Status == RunStatus.Succeeded && !s.Resumed && s.Planned.Definition.Rollback is not null)
                .OrderByDescending(s => s.FinishOrder)
                .ToArray();
            foreach (var state in succeeded)
            {
                var rollback = state.Planned.Definition.Rollback!;
                Emit(PipelineEventKind.RollbackStarted, $"Rolling back step '{state.Planned.Id}' ({rollback.Type}).", state.Planned.Id, LogLevel.Warning);
                var startedAt = _time.GetUtcNow();
                StepContext? context = null;
                try
                {
                    var handler = rollback.Handler ?? (_executor._registry.TryGet(rollback.Type, out var h) ? h : throw new StepException(ErrorKind.Configuration, $"Unknown step type '{rollback.Type}'."));
                    var options = new StepOptions(rollback.With.ToDictionary(kv => kv.Key,
                        kv => BindsTemplates(handler, kv.Key) ? kv.Value : _scope.RenderValue(kv.Value, rollback.Id, StepValueText), StringComparer.Ordinal));
                    context = new StepContext(PipelineId, RunId, rollback.Id, 1, options, _scope.Variables,
                        (level, message) => Emit(PipelineEventKind.StepLog, message, state.Planned.Id, level))
                    {
                        WorkingDirectory = WorkingDirectory(),
                        Time = _time,
                        FileSystems = _executor._fileSystems,
                        ConnectionOptions = _request.ConnectionOptions,
                        ResolveTemplate = reference => _scope.Render("{" + reference.Text + "}", rollback.Id, StepValueText),
                    };
                    // Rollback runs even when the run was cancelled: it must not inherit the cancelled token.
                    var pipeline = new ResiliencePipelineBuilder { TimeProvider = _time };
                    if (Definition.TimeoutOf(rollback) is { } timeout) pipeline.AddTimeout(timeout);
                    await pipeline.Build().ExecuteAsync(async token => await handler.ExecuteAsync(context, token).ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);
                    state.RollbackStatus = RunStatus.Succeeded;
                    await RecordAttemptAsync(state, 1, startedAt, RunStatus.Succeeded, null, null, context, isRollback: true).ConfigureAwait(false);
                    Emit(PipelineEventKind.RollbackSucceeded, $"Rolled back step '{state.Planned.Id}'.", state.Planned.Id, status: RunStatus.Succeeded);
                }
                catch (Exception ex)
                {
                    state.RollbackStatus = RunStatus.Failed;
                    var kind = ErrorClassifier.Classify(ex);
                    await RecordAttemptAsync(state, 1, startedAt, RunStatus.Failed, kind, ex.Message, context, isRollback: true).ConfigureAwait(false);
                    Emit(PipelineEventKind.RollbackFailed, $"The rollback of step '{state.Planned.Id}' failed ({ErrorKinds.ToName(kind)}): {ex.Message}",
                        state.Planned.Id, LogLevel.Error, status: RunStatus.Failed, errorKind: kind);
                }
            }
        }
    }
}
