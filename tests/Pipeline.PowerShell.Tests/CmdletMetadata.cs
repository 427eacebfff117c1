using System.Reflection;

namespace Pipeline.PowerShell.Tests;

/// <summary>A parameter's declaration in one parameter set.</summary>
public sealed record ParameterDeclaration(string Name, string Set, bool Mandatory, int Position, bool FromPipeline);

/// <summary>A cmdlet as its attributes declare it.</summary>
public sealed record CmdletMetadata(Type Type, string Verb, string Noun, bool SupportsShouldProcess, string? DefaultSet,
    IReadOnlyList<ParameterDeclaration> Parameters, IReadOnlyList<string> OutputTypes)
{
    public const string AllSets = "__AllParameterSets";

    public string Name => $"{Verb}-{Noun}";

    public IEnumerable<string> ParameterNames => Parameters.Select(p => p.Name).Distinct();

    /// <summary>The named parameter sets (a parameter in every set counts in each).</summary>
    public IReadOnlyList<string> Sets
    {
        get
        {
            var named = Parameters.Select(p => p.Set).Where(s => s != AllSets).Distinct().ToArray();
            return named.Length == 0 ? [AllSets] : named;
        }
    }

    public IEnumerable<ParameterDeclaration> In(string set) => Parameters.Where(p => p.Set == set || p.Set == AllSets);

    public static IReadOnlyList<CmdletMetadata> All { get; } = Load();

    private static IReadOnlyList<CmdletMetadata> Load()
    {
        var result = new List<CmdletMetadata>();
        foreach (var type in ModuleFiles.CmdletAssembly.GetExportedTypes())
        {
            var cmdlet = type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
            if (cmdlet is null) continue;
            var parameters = new List<ParameterDeclaration>();
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                foreach (var attribute in property.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute"))
                {
                    parameters.Add(new ParameterDeclaration(property.Name,
                        Named<string>(attribute, "ParameterSetName") ?? AllSets,
                        Named<bool>(attribute, "Mandatory"),
                        Named<int?>(attribute, "Position") ?? int.MinValue,
                        Named<bool>(attribute, "ValueFromPipeline")));
                }
            }
            var outputs = type.GetCustomAttributesData()
                .Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute")
                .SelectMany(a => a.ConstructorArguments)
                .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> many ? many.Select(m => m.Value) : [arg.Value])
                .Select(v => v is Type t ? t.FullName! : v?.ToString() ?? "")
                .ToArray();
            result.Add(new CmdletMetadata(type,
                (string)cmdlet.ConstructorArguments[0].Value!,
                (string)cmdlet.ConstructorArguments[1].Value!,
                Named<bool>(cmdlet, "SupportsShouldProcess"),
                Named<string>(cmdlet, "DefaultParameterSetName"),
                parameters,
                outputs));
        }
        return result;
    }

    private static T? Named<T>(CustomAttributeData attribute, string name)
    {
        var argument = attribute.NamedArguments.FirstOrDefault(a => a.MemberName == name);
        return argument.MemberInfo is null ? default : (T?)argument.TypedValue.Value;
    }
}
