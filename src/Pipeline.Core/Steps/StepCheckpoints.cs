using System.Collections.Concurrent;
using Pipeline.Core.State;

namespace Pipeline.Core.Steps;

/// <summary>
/// A step's named checkpoint values. Saved under the current run; read from the current run first and then from
/// the runs it resumes, newest first, so a resumed step sees the progress its failed attempt recorded.
/// </summary>
public sealed class StepCheckpoints
{
    private readonly Func<string, CancellationToken, Task<string?>> _get;
    private readonly Func<string, string, CancellationToken, Task> _save;

    private StepCheckpoints(Func<string, CancellationToken, Task<string?>> get, Func<string, string, CancellationToken, Task> save)
    {
        _get = get;
        _save = save;
    }

    /// <summary>Checkpoints kept in <paramref name="store"/> for one step of a run that may resume earlier runs.</summary>
    /// <param name="store">The run store.</param>
    /// <param name="runId">The current run.</param>
    /// <param name="stepId">The step.</param>
    /// <param name="resumedRuns">The runs the current run resumes, newest first (a resume of a resume lists both).</param>
    public static StepCheckpoints InStore(IRunStore store, string runId, string stepId, IReadOnlyList<string> resumedRuns) => new(
        async (key, token) =>
        {
            foreach (var run in resumedRuns.Prepend(runId))
            {
                if (await store.GetCheckpointAsync(run, stepId, key, token).ConfigureAwait(false) is { } value) return value;
            }
            return null;
        },
        (key, value, token) => store.SaveCheckpointAsync(runId, stepId, key, value, token));

    /// <summary>Checkpoints that live as long as this object: for runs without a store, and for tests.</summary>
    public static StepCheckpoints InMemory()
    {
        var values = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        return new(
            (key, _) => Task.FromResult(values.TryGetValue(key, out var v) ? v : null),
            (key, value, _) =>
            {
                values[key] = value;
                return Task.CompletedTask;
            });
    }

    /// <summary>The value saved under <paramref name="key"/> by this step in this run or a run it resumes, or null.</summary>
    public Task<string?> GetAsync(string key, CancellationToken cancellationToken = default) => _get(key, cancellationToken);

    /// <summary>Saves <paramref name="value"/> under <paramref name="key"/>, replacing an earlier value.</summary>
    public Task SaveAsync(string key, string value, CancellationToken cancellationToken = default) => _save(key, value, cancellationToken);
}
