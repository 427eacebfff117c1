using System.Management.Automation.Language;
using System.Text;

namespace Pipeline.PowerShell.Scripts;

/// <summary>
/// A script's <c>$using:name</c> references, found in its syntax tree and rewritten to plain variables
/// (<c>${__pipeline_using_name}</c>) that the host sets before the script runs — in a pooled runspace with
/// -Parallel, as ForEach-Object -Parallel does, or in the caller's runspace without it.
/// </summary>
internal sealed class UsingVariables
{
    private UsingVariables(string text, IReadOnlyDictionary<string, string> names)
    {
        Text = text;
        Names = names;
    }

    /// <summary>The script with each <c>$using:name</c> replaced.</summary>
    public string Text { get; }

    /// <summary>Caller variable names (as written after <c>using:</c>) mapped to the variable that replaces them.</summary>
    public IReadOnlyDictionary<string, string> Names { get; }

    /// <summary>Whether the script uses any.</summary>
    public bool Any => Names.Count > 0;

    /// <summary>Finds and rewrites the references of a script.</summary>
    public static UsingVariables Rewrite(ScriptBlockAst ast, string text, int textOffset)
    {
        var variables = ast.FindAll(a => a is UsingExpressionAst, searchNestedScriptBlocks: true)
            .Cast<UsingExpressionAst>()
            .Select(UsingExpressionAst.ExtractUsingVariable)
            .OrderBy(v => v.Extent.StartOffset)
            .ToArray();
        if (variables.Length == 0) return new UsingVariables(text, new Dictionary<string, string>());
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var sb = new StringBuilder(text.Length + variables.Length * 16);
        var position = 0;
        foreach (var variable in variables)
        {
            var name = variable.VariablePath.UserPath;
            var replacement = "__pipeline_using_" + new string(name.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
            names[name] = replacement;
            var start = variable.Extent.StartOffset - textOffset;
            sb.Append(text, position, start - position).Append("${").Append(replacement).Append('}');
            position = variable.Extent.EndOffset - textOffset;
        }
        sb.Append(text, position, text.Length - position);
        return new UsingVariables(sb.ToString(), names);
    }
}
