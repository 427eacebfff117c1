using System.Text.RegularExpressions;

namespace Pipeline.HelpCompiler;

/// <summary>One parameter's help: its description and the platyPS metadata block.</summary>
public sealed record ParameterHelp(string Name, string Description, IReadOnlyDictionary<string, string> Metadata)
{
    public string Type => Metadata.GetValueOrDefault("Type") ?? "Object";
    public bool IsSwitch => Type is "SwitchParameter" or "Switch";
    public IReadOnlyList<string> Sets => (Metadata.GetValueOrDefault("Parameter Sets") ?? "(All)").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    public bool InSet(string set) => Sets.Contains("(All)") || Sets.Contains(set, StringComparer.OrdinalIgnoreCase);
    public string Aliases => Metadata.GetValueOrDefault("Aliases") is { Length: > 0 } a ? a : "none";
    public bool Required => Metadata.GetValueOrDefault("Required")?.StartsWith("True", StringComparison.OrdinalIgnoreCase) == true;
    public string Position => Metadata.GetValueOrDefault("Position") is { Length: > 0 } p ? p : "Named";
    public string DefaultValue => Metadata.GetValueOrDefault("Default value") is { Length: > 0 } d ? d : "None";
    public string PipelineInput => Metadata.GetValueOrDefault("Accept pipeline input") is { Length: > 0 } p ? p : "False";
    public bool Globbing => Metadata.GetValueOrDefault("Accept wildcard characters")?.StartsWith("True", StringComparison.OrdinalIgnoreCase) == true;
}

/// <summary>One example: a title, the code, and remarks.</summary>
public sealed record ExampleHelp(string Title, string Code, IReadOnlyList<string> Remarks);

/// <summary>A type in INPUTS or OUTPUTS.</summary>
public sealed record TypeHelp(string Name, string Description);

/// <summary>A cmdlet's help as written in docs/en-US/&lt;Cmdlet&gt;.md (platyPS markdown).</summary>
public sealed record CommandHelp
{
    public required string Name { get; init; }
    public required string Synopsis { get; init; }
    public IReadOnlyList<string> Description { get; init; } = [];
    public IReadOnlyList<string> ParameterSets { get; init; } = [];
    public IReadOnlyList<ExampleHelp> Examples { get; init; } = [];
    public IReadOnlyList<ParameterHelp> Parameters { get; init; } = [];
    public IReadOnlyList<TypeHelp> Inputs { get; init; } = [];
    public IReadOnlyList<TypeHelp> Outputs { get; init; } = [];
    public IReadOnlyList<string> Notes { get; init; } = [];
    public IReadOnlyList<(string Text, string Uri)> Links { get; init; } = [];

    public string Verb => Name.Split('-', 2)[0];
    public string Noun => Name.Split('-', 2).ElementAtOrDefault(1) ?? "";

    /// <summary>Reads a cmdlet's markdown.</summary>
    /// <exception cref="HelpFormatException">A required section is missing or malformed; the message names the file and line.</exception>
    public static CommandHelp Parse(string path) => Parse(File.ReadAllText(path), path);

    public static CommandHelp Parse(string text, string path)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var sections = Markdown.Sections(lines, level: 2, skipFrontMatter: true);
        var title = Markdown.Title(lines) ?? throw new HelpFormatException(path, 1, "the file has no '# Name' title.");
        string Required(string name) => sections.TryGetValue(name, out var body) ? Markdown.Text(body.Lines) : throw new HelpFormatException(path, 1, $"the section '## {name}' is missing.");

        var synopsis = Required("SYNOPSIS");
        var sets = sections.TryGetValue("SYNTAX", out var syntax)
            ? Markdown.Sections(syntax.Lines, 3).Keys.Select(k => k.Replace("(Default)", "").Trim()).ToArray()
            : [];
        return new CommandHelp
        {
            Name = title,
            Synopsis = synopsis,
            Description = sections.TryGetValue("DESCRIPTION", out var d) ? Markdown.Paragraphs(d.Lines) : [],
            ParameterSets = sets,
            Examples = sections.TryGetValue("EXAMPLES", out var e) ? Markdown.Sections(e.Lines, 3).Select(kv => Example(kv.Key, kv.Value, path)).ToArray() : [],
            Parameters = sections.TryGetValue("PARAMETERS", out var p)
                ? Markdown.Sections(p.Lines, 3).Where(kv => kv.Key.StartsWith('-')).Select(kv => Parameter(kv.Key, kv.Value, path)).ToArray()
                : [],
            Inputs = sections.TryGetValue("INPUTS", out var i) ? Types(i.Lines) : [],
            Outputs = sections.TryGetValue("OUTPUTS", out var o) ? Types(o.Lines) : [],
            Notes = sections.TryGetValue("NOTES", out var n) ? Markdown.Paragraphs(n.Lines) : [],
            Links = sections.TryGetValue("RELATED LINKS", out var l) ? LinksOf(l.Lines) : [],
        };
    }

    private static ExampleHelp Example(string title, Section body, string path)
    {
        var (code, rest) = Markdown.FirstCodeBlock(body.Lines);
        if (code is null) throw new HelpFormatException(path, body.Line, $"the example '{title}' has no code block.");
        return new ExampleHelp(title, code, Markdown.Paragraphs(rest));
    }

    private static ParameterHelp Parameter(string heading, Section body, string path)
    {
        var (yaml, rest) = Markdown.FirstCodeBlock(body.Lines, "yaml");
        if (yaml is null) throw new HelpFormatException(path, body.Line, $"the parameter '{heading}' has no ```yaml block (Type, Parameter Sets, Required, Position, ...).");
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in yaml.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon > 0) metadata[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return new ParameterHelp(heading[1..].Trim(), Markdown.Text(rest), metadata);
    }

    private static TypeHelp[] Types(IReadOnlyList<string> lines) =>
        Markdown.Sections(lines, 3).Select(kv => new TypeHelp(kv.Key, Markdown.Text(kv.Value.Lines))).ToArray();

    private static (string, string)[] LinksOf(IReadOnlyList<string> lines) =>
        lines.Select(l => Regex.Match(l, @"\[(?<text>[^\]]+)\]\((?<uri>[^)]*)\)")).Where(m => m.Success)
            .Select(m => (m.Groups["text"].Value, m.Groups["uri"].Value)).ToArray();
}

/// <summary>A help file that does not follow the expected markdown shape.</summary>
public sealed class HelpFormatException(string path, int line, string message) : Exception($"{path}:{line}: {message}");
