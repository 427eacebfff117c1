namespace Pipeline.Core.Steps;

/// <summary>
/// One step type (<c>file.copy</c>, <c>csv.read</c>, ...). Implement this in a plugin assembly to add a type; the
/// orchestrator never changes to add one. A handler instance may run many steps at once: keep per-run state in
/// the <see cref="StepContext"/>.
/// </summary>
public interface IStepHandler
{
    /// <summary>The type's name, its options and whether it reads or writes records.</summary>
    StepTypeInfo Info { get; }

    /// <summary>Runs one attempt of a step. Throw <see cref="Execution.StepException"/> for a classified failure.</summary>
    Task ExecuteAsync(StepContext context, CancellationToken cancellationToken);
}

/// <summary>The value type of a step option, checked when a definition is validated.</summary>
public enum StepOptionType
{
    /// <summary>Text (templates allowed).</summary>
    String,
    /// <summary>A whole number.</summary>
    Integer,
    /// <summary>Any number.</summary>
    Number,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary>A duration such as <c>30s</c>, <c>5m</c>, <c>1h30m</c>, <c>250ms</c>.</summary>
    Duration,
    /// <summary>A list of scalars.</summary>
    List,
    /// <summary>A mapping of names to values.</summary>
    Map,
    /// <summary>Any YAML value.</summary>
    Any,
}

/// <summary>Describes one option of a step type.</summary>
/// <param name="Name">The option's key under <c>with:</c>.</param>
/// <param name="Type">The value type.</param>
/// <param name="Description">One sentence for help and <c>pipeline steps</c>.</param>
public sealed record StepOptionInfo(string Name, StepOptionType Type, string Description)
{
    /// <summary>Whether the option must be given.</summary>
    public bool Required { get; init; }

    /// <summary>The default value when omitted, as text.</summary>
    public string? Default { get; init; }

    /// <summary>The only values accepted, when the option is an enumeration.</summary>
    public IReadOnlyList<string>? AllowedValues { get; init; }

    /// <summary>
    /// Whether the engine hands the option's text to the step with its <c>{name}</c> references left in place, for
    /// the step to bind each value as a parameter through <see cref="StepContext.ResolveTemplate"/> (SQL text, where
    /// a value spliced into the text could change the statement).
    /// </summary>
    public bool BindsTemplates { get; init; }
}

/// <summary>Describes a step type.</summary>
/// <param name="Name">The type name used in <c>type:</c>.</param>
/// <param name="Description">What the type does, in one or two sentences.</param>
/// <param name="Options">The options it accepts; any other option is a definition error.</param>
public sealed record StepTypeInfo(string Name, string Description, IReadOnlyList<StepOptionInfo> Options)
{
    /// <summary>Whether the step reads records from its inputs.</summary>
    public bool ConsumesRecords { get; init; }

    /// <summary>Whether the step writes records to its output.</summary>
    public bool ProducesRecords { get; init; }

    /// <summary>
    /// Named outputs besides the main one, which consumers read as <c>input: ID.NAME</c> (for example
    /// <c>rejected</c> for rows that failed a check). The step writes to them through <see cref="StepContext.GetOutput"/>.
    /// </summary>
    public IReadOnlyList<string> OutputPorts { get; init; } = [];

    /// <summary>Whether the step's named outputs come from its options (a <c>split</c>'s routes), so any name is
    /// accepted when the definition is checked.</summary>
    public bool DynamicOutputPorts { get; init; }

    /// <summary>The assembly or plugin that provides it.</summary>
    public string Source { get; init; } = "Pipeline.Core";
}
