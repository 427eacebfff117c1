using Pipeline.HelpCompiler;

namespace Pipeline.PowerShell.Tests;

public sealed class HelpTests
{
    // Added by PowerShell for SupportsShouldProcess; documented like any other parameter.
    private static readonly string[] ShouldProcessParameters = ["WhatIf", "Confirm"];

    public static TheoryData<string> Cmdlets() => new(CmdletMetadata.All.Select(c => c.Name));

    private static CommandHelp Help(string name)
    {
        var path = Path.Combine(ModuleFiles.HelpSource, name + ".md");
        Assert.True(File.Exists(path), $"{name} has no help: {path} is missing.");
        return CommandHelp.Parse(path);
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Every_cmdlet_has_help_with_a_synopsis_and_a_description(string name)
    {
        var help = Help(name);
        Assert.Equal(name, help.Name);
        Assert.False(string.IsNullOrWhiteSpace(help.Synopsis));
        Assert.NotEmpty(help.Description);
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Every_cmdlet_has_at_least_two_examples_with_code_and_remarks(string name)
    {
        var examples = Help(name).Examples;
        Assert.True(examples.Count >= 2, $"{name} has {examples.Count} example(s).");
        Assert.All(examples, e => Assert.Contains(name, e.Code));
        Assert.All(examples, e => Assert.NotEmpty(e.Remarks));
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Every_public_parameter_has_help_and_every_documented_parameter_exists(string name)
    {
        var cmdlet = CmdletMetadata.All.Single(c => c.Name == name);
        var help = Help(name);
        var declared = cmdlet.ParameterNames.Concat(cmdlet.SupportsShouldProcess ? ShouldProcessParameters : []).ToHashSet();
        var documented = help.Parameters.Select(p => p.Name).ToHashSet();

        Assert.Empty(declared.Except(documented));
        Assert.Empty(documented.Except(declared));
        Assert.All(help.Parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Description), $"{name} -{p.Name} has no description."));
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Documented_parameter_sets_are_the_declared_ones(string name)
    {
        var cmdlet = CmdletMetadata.All.Single(c => c.Name == name);
        var sets = cmdlet.Sets.Where(s => s != CmdletMetadata.AllSets).Order(StringComparer.Ordinal).ToArray();
        var documented = Help(name).ParameterSets.Where(s => s != "(All)").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(sets, documented);
    }

    [Fact]
    public void The_about_topic_is_written()
    {
        var text = File.ReadAllText(Path.Combine(ModuleFiles.HelpSource, "about_Pipeline.md"));
        Assert.Contains("## SHORT DESCRIPTION", text);
        Assert.Contains("## LONG DESCRIPTION", text);
    }

    [Fact]
    public void The_build_writes_the_maml_help_and_the_about_topic_beside_the_manifest()
    {
        var help = Path.Combine(ModuleFiles.Root, "en-US", "Pipeline.PowerShell.dll-Help.xml");
        var document = System.Xml.Linq.XDocument.Load(help);
        System.Xml.Linq.XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        Assert.Equal(CmdletMetadata.All.Select(c => c.Name).Order(StringComparer.Ordinal),
            document.Descendants(command + "details").Select(d => (string)d.Element(command + "name")!).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(ModuleFiles.Root, "en-US", "about_Pipeline.help.txt")));
    }
}
