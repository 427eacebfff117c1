namespace Pipeline.Core.Steps;

/// <summary>The step types that ship with the engine.</summary>
public static class BuiltInStepTypes
{
    /// <summary>A new instance of every built-in step type.</summary>
    public static IReadOnlyList<IStepHandler> Create() => [];
}
