using System.Management.Automation;

namespace Pipeline.PowerShell.Tests;

public sealed class CmdletSurfaceTests
{
    // PowerShell's approved verbs, as PowerShell Standard's Verbs* classes define them.
    private static readonly HashSet<string> ApprovedVerbs = new(StringComparer.Ordinal)
    {
        VerbsCommon.Add, VerbsCommon.Clear, VerbsCommon.Close, VerbsCommon.Copy, VerbsCommon.Enter, VerbsCommon.Exit,
        VerbsCommon.Find, VerbsCommon.Format, VerbsCommon.Get, VerbsCommon.Hide, VerbsCommon.Join, VerbsCommon.Lock,
        VerbsCommon.Move, VerbsCommon.New, VerbsCommon.Open, VerbsCommon.Optimize, VerbsCommon.Pop, VerbsCommon.Push,
        VerbsCommon.Redo, VerbsCommon.Remove, VerbsCommon.Rename, VerbsCommon.Reset, VerbsCommon.Resize, VerbsCommon.Search,
        VerbsCommon.Select, VerbsCommon.Set, VerbsCommon.Show, VerbsCommon.Skip, VerbsCommon.Split, VerbsCommon.Step,
        VerbsCommon.Switch, VerbsCommon.Undo, VerbsCommon.Unlock, VerbsCommon.Watch,
        VerbsCommunications.Connect, VerbsCommunications.Disconnect, VerbsCommunications.Read, VerbsCommunications.Receive,
        VerbsCommunications.Send, VerbsCommunications.Write,
        VerbsData.Backup, VerbsData.Checkpoint, VerbsData.Compare, VerbsData.Compress, VerbsData.Convert, VerbsData.ConvertFrom,
        VerbsData.ConvertTo, VerbsData.Dismount, VerbsData.Edit, VerbsData.Expand, VerbsData.Export, VerbsData.Group,
        VerbsData.Import, VerbsData.Initialize, VerbsData.Limit, VerbsData.Merge, VerbsData.Mount, VerbsData.Out,
        VerbsData.Publish, VerbsData.Restore, VerbsData.Save, VerbsData.Sync, VerbsData.Unpublish, VerbsData.Update,
        VerbsDiagnostic.Debug, VerbsDiagnostic.Measure, VerbsDiagnostic.Ping, VerbsDiagnostic.Repair, VerbsDiagnostic.Resolve,
        VerbsDiagnostic.Test, VerbsDiagnostic.Trace,
        VerbsLifecycle.Approve, VerbsLifecycle.Assert, VerbsLifecycle.Complete, VerbsLifecycle.Confirm, VerbsLifecycle.Deny,
        VerbsLifecycle.Disable, VerbsLifecycle.Enable, VerbsLifecycle.Install, VerbsLifecycle.Invoke, VerbsLifecycle.Register,
        VerbsLifecycle.Request, VerbsLifecycle.Restart, VerbsLifecycle.Resume, VerbsLifecycle.Start, VerbsLifecycle.Stop,
        VerbsLifecycle.Submit, VerbsLifecycle.Suspend, VerbsLifecycle.Uninstall, VerbsLifecycle.Unregister, VerbsLifecycle.Wait,
        VerbsSecurity.Block, VerbsSecurity.Grant, VerbsSecurity.Protect, VerbsSecurity.Revoke, VerbsSecurity.Unblock, VerbsSecurity.Unprotect,
        VerbsOther.Use,
    };

    // Verbs whose cmdlets change something outside the session. New-PipelineStep only makes an object, and
    // Import/Test/Get only read, so they need no -WhatIf.
    private static readonly HashSet<string> StateChangingVerbs = new(StringComparer.Ordinal)
    {
        VerbsLifecycle.Invoke, VerbsLifecycle.Start, VerbsLifecycle.Stop, VerbsLifecycle.Restart, VerbsLifecycle.Resume, VerbsLifecycle.Suspend,
        VerbsLifecycle.Install, VerbsLifecycle.Uninstall, VerbsLifecycle.Register, VerbsLifecycle.Unregister, VerbsLifecycle.Enable, VerbsLifecycle.Disable,
        VerbsCommon.Remove, VerbsCommon.Set, VerbsCommon.Clear, VerbsCommon.Reset, VerbsCommon.Move, VerbsCommon.Rename, VerbsCommon.Copy,
        VerbsData.Save, VerbsData.Export, VerbsData.Publish, VerbsData.Update, VerbsData.Sync, VerbsData.Restore, VerbsCommunications.Send, VerbsCommunications.Write,
    };

    public static TheoryData<string> Cmdlets() => new(CmdletMetadata.All.Select(c => c.Name));

    private static CmdletMetadata Cmdlet(string name) => CmdletMetadata.All.Single(c => c.Name == name);

    [Fact]
    public void The_assembly_holds_the_pipeline_and_remote_file_system_cmdlets()
    {
        Assert.Equal(
            ["Connect-RemoteFs", "Copy-RemoteItem", "Disconnect-RemoteFs", "Get-PipelineRun", "Get-PipelineStepType", "Get-RemoteChildItem",
             "Get-RemoteFileHash", "Get-RemoteFsSession", "Import-PipelineDefinition", "Invoke-Pipeline", "Move-RemoteItem", "New-PipelineStep",
             "New-RemoteItem", "Remove-RemoteItem", "Sync-RemoteItem", "Test-PipelineDefinition", "Test-RemotePath"],
            CmdletMetadata.All.Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Every_cmdlet_uses_an_approved_verb(string name) => Assert.Contains(Cmdlet(name).Verb, ApprovedVerbs);

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Cmdlets_that_change_state_support_ShouldProcess(string name)
    {
        var cmdlet = Cmdlet(name);
        if (StateChangingVerbs.Contains(cmdlet.Verb)) Assert.True(cmdlet.SupportsShouldProcess, $"{name} changes state but does not support -WhatIf/-Confirm.");
    }

    [Fact]
    public void Invoke_Pipeline_supports_ShouldProcess() => Assert.True(Cmdlet("Invoke-Pipeline").SupportsShouldProcess);

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Every_cmdlet_declares_its_output_type(string name) => Assert.NotEmpty(Cmdlet(name).OutputTypes);

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Every_cmdlet_class_is_sealed(string name) => Assert.True(Cmdlet(name).Type.IsSealed, $"{Cmdlet(name).Type.Name} is not sealed.");

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void No_two_parameter_sets_can_be_told_apart_by_nothing(string name)
    {
        var cmdlet = Cmdlet(name);
        var sets = cmdlet.Sets;
        foreach (var a in sets)
        {
            foreach (var b in sets.Where(b => string.CompareOrdinal(a, b) < 0))
            {
                var mandatoryA = Signature(cmdlet.In(a).Where(p => p.Mandatory));
                var mandatoryB = Signature(cmdlet.In(b).Where(p => p.Mandatory));
                Assert.False(mandatoryA == mandatoryB,
                    $"{name}: the parameter sets '{a}' and '{b}' have the same mandatory parameters and positions ({mandatoryA}), so PowerShell cannot choose between them.");
            }
        }
        if (sets.Count > 1 && cmdlet.DefaultSet is not null) Assert.Contains(cmdlet.DefaultSet, sets);
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Positions_are_unique_within_each_parameter_set(string name)
    {
        var cmdlet = Cmdlet(name);
        foreach (var set in cmdlet.Sets)
        {
            var positions = cmdlet.In(set).Where(p => p.Position >= 0).GroupBy(p => p.Position).Where(g => g.Select(p => p.Name).Distinct().Count() > 1).ToArray();
            Assert.True(positions.Length == 0, $"{name}, set '{set}': several parameters at position {positions.FirstOrDefault()?.Key}.");
        }
    }

    private static string Signature(IEnumerable<ParameterDeclaration> parameters) =>
        string.Join(",", parameters.Select(p => $"{p.Name}@{p.Position}").Distinct().Order(StringComparer.Ordinal));
}
