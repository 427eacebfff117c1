namespace Pipeline.Core.Templates;

/// <summary>The steps that run before a step: asked about one at a time (cheap for a step's direct upstream), or
/// listed whole.</summary>
internal interface IUpstreamSteps
{
    bool Contains(string id);

    IEnumerable<string> All { get; }
}

/// <summary>Upstream steps already known as a set.</summary>
internal sealed class UpstreamSet(IReadOnlySet<string> steps) : IUpstreamSteps
{
    public bool Contains(string id) => steps.Contains(id);

    public IEnumerable<string> All => steps;
}
