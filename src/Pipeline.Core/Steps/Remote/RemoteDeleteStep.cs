using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Steps.Remote;

/// <summary>
/// <c>remote.delete</c>: deletes a remote file, a directory (prefix) or every item a glob matches. It is
/// <c>file.delete</c> under the name remote pipelines look for: the same options, the same refusal to delete a root.
/// </summary>
public sealed class RemoteDeleteStep : IStepHandler
{
    private readonly FileDeleteStep _delete = new();

    /// <inheritdoc />
    public StepTypeInfo Info { get; }

    /// <summary>Creates the step type.</summary>
    public RemoteDeleteStep()
    {
        Info = _delete.Info with
        {
            Name = "remote.delete",
            Description = "Deletes a remote file, a directory or prefix (recursive), or every item a glob matches, such as s3://bucket/tmp/*.csv.",
        };
    }

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => _delete.ExecuteAsync(context, cancellationToken);
}
