using System.Management.Automation;
using System.Management.Automation.Language;

namespace Pipeline.PowerShell.Scripts;

/// <summary>The script of one powershell step: a script block from New-PipelineStep, or the <c>script</c> option
/// of a YAML step; with its <c>$using:</c> references rewritten.</summary>
internal sealed class ScriptSource
{
    private ScriptSource(ScriptBlock? block, string text, UsingVariables usings, int firstLine)
    {
        Block = block;
        Text = text;
        Usings = usings;
        FirstLine = firstLine;
    }

    /// <summary>The caller's script block, when the step was built from one.</summary>
    public ScriptBlock? Block { get; }

    /// <summary>The script's text, rewritten for <c>$using:</c>.</summary>
    public string Text { get; }

    /// <summary>The script's <c>$using:</c> references.</summary>
    public UsingVariables Usings { get; }

    /// <summary>The line the text starts at in its file (1 for YAML scripts), to report positions where they were written.</summary>
    public int FirstLine { get; }

    /// <summary>Parses a script block's text.</summary>
    public static ScriptSource FromBlock(ScriptBlock block)
    {
        var text = block.ToString();
        var ast = (ScriptBlockAst)block.Ast;
        // ToString() is the text between the braces of a literal; offsets in the tree count from the file's start.
        var body = ast.Parent is ScriptBlockExpressionAst ? ast.Extent.StartOffset + 1 : ast.Extent.StartOffset;
        var firstLine = ast.Extent.StartLineNumber;
        return new ScriptSource(block, text, UsingVariables.Rewrite(ast, text, body), firstLine);
    }

    /// <summary>Parses script text (from YAML).</summary>
    /// <exception cref="ParseException">The text is not valid PowerShell.</exception>
    public static ScriptSource FromText(string text)
    {
        var ast = Parser.ParseInput(text, out _, out var errors);
        if (errors.Length > 0) throw new ParseException(errors);
        return new ScriptSource(null, text, UsingVariables.Rewrite(ast, text, 0), 1);
    }

    /// <summary>The block to run in the caller's runspace: the caller's own when it needs no rewriting.</summary>
    public ScriptBlock ForCaller() => Block is not null && !Usings.Any ? Block : ScriptBlock.Create(Usings.Text);
}
