using System.Reflection;
using System.Xml.Linq;

namespace Pipeline.PowerShell.Tests.Remote;

public sealed class RemoteCmdletSurfaceTests
{
    private static readonly string[] RemoteCmdlets =
    [
        "Connect-RemoteFs", "Disconnect-RemoteFs", "Get-RemoteFsSession", "Get-RemoteChildItem", "Copy-RemoteItem", "Move-RemoteItem",
        "Remove-RemoteItem", "New-RemoteItem", "Test-RemotePath", "Get-RemoteFileHash", "Sync-RemoteItem",
    ];

    public static TheoryData<string> PathCmdlets() => new(RemoteCmdlets.Where(n => n is not ("Connect-RemoteFs" or "Disconnect-RemoteFs" or "Get-RemoteFsSession")));

    public static TheoryData<string> ChangingCmdlets() => new("Copy-RemoteItem", "Move-RemoteItem", "Remove-RemoteItem", "New-RemoteItem", "Sync-RemoteItem");

    public static TheoryData<string> CopyingCmdlets() => new("Copy-RemoteItem", "Move-RemoteItem", "Sync-RemoteItem");

    private static CmdletMetadata Cmdlet(string name) => CmdletMetadata.All.Single(c => c.Name == name);

    private static CustomAttributeData ParameterAttribute(string cmdlet, string parameter, string? set = null) =>
        Cmdlet(cmdlet).Type.GetProperty(parameter)!.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute")
            .Single(a => set is null || Named<string>(a, "ParameterSetName") == set);

    private static string[] Aliases(string cmdlet, string parameter) =>
        Cmdlet(cmdlet).Type.GetProperty(parameter)!.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == "System.Management.Automation.AliasAttribute")
            .SelectMany(a => (IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!)
            .Select(v => (string)v.Value!).ToArray();

    private static T? Named<T>(CustomAttributeData attribute, string name)
    {
        var argument = attribute.NamedArguments.FirstOrDefault(a => a.MemberName == name);
        return argument.MemberInfo is null ? default : (T?)argument.TypedValue.Value;
    }

    [Fact]
    public void Every_remote_cmdlet_is_in_the_assembly() => Assert.All(RemoteCmdlets, name => Assert.Contains(name, CmdletMetadata.All.Select(c => c.Name)));

    [Theory]
    [MemberData(nameof(ChangingCmdlets))]
    public void Cmdlets_that_write_or_delete_support_WhatIf_and_Confirm(string name) => Assert.True(Cmdlet(name).SupportsShouldProcess, name);

    [Theory]
    [MemberData(nameof(PathCmdlets))]
    public void Path_binds_from_the_FullName_of_piped_items(string name)
    {
        var parameter = ParameterAttribute(name, "Path");
        Assert.True(Named<bool>(parameter, "ValueFromPipelineByPropertyName"), $"{name} -Path does not bind by property name.");
        Assert.Contains("FullName", Aliases(name, "Path"));
        Assert.Equal(0, Named<int>(parameter, "Position"));
    }

    [Theory]
    [MemberData(nameof(CopyingCmdlets))]
    public void Destination_is_the_mandatory_second_position(string name)
    {
        var parameter = ParameterAttribute(name, "Destination");
        Assert.True(Named<bool>(parameter, "Mandatory"));
        Assert.Equal(1, Named<int>(parameter, "Position"));
    }

    [Fact]
    public void Connect_RemoteFs_takes_a_URI_or_the_parts_of_an_endpoint()
    {
        var connect = Cmdlet("Connect-RemoteFs");
        Assert.Equal("Uri", connect.DefaultSet);
        Assert.Contains(connect.In("Uri"), p => p is { Name: "Uri", Mandatory: true, Position: 0 });
        Assert.Equal(["HostName", "Scheme"], connect.In("Parts").Where(p => p.Mandatory).Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("System.Management.Automation.PSCredential", connect.Type.GetProperty("Credential")!.PropertyType.FullName);
        Assert.Equal("Pipeline.RemoteFs.HostKeyPolicy", connect.Type.GetProperty("HostKeyPolicy")!.PropertyType.FullName);
        foreach (var setting in new[] { "KeyFile", "HostKeyFingerprint", "Region", "Endpoint", "PathStyle", "Setting" })
            Assert.Contains(setting, connect.ParameterNames);
    }

    [Fact]
    public void No_remote_cmdlet_takes_a_secret_as_plain_text()
    {
        foreach (var name in RemoteCmdlets)
        {
            Assert.DoesNotContain(Cmdlet(name).ParameterNames, p => p.Contains("Password", StringComparison.OrdinalIgnoreCase) || p.Contains("Secret", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void Disconnect_RemoteFs_takes_sessions_from_the_pipeline()
    {
        Assert.Contains(Cmdlet("Disconnect-RemoteFs").Parameters, p => p is { Name: "Session", FromPipeline: true, Mandatory: true });
        Assert.Equal("Pipeline.PowerShell.Remote.RemoteFsSession[]", Cmdlet("Disconnect-RemoteFs").Type.GetProperty("Session")!.PropertyType.FullName);
    }

    [Theory]
    [InlineData("Connect-RemoteFs", "Pipeline.PowerShell.Remote.RemoteFsSession")]
    [InlineData("Get-RemoteFsSession", "Pipeline.PowerShell.Remote.RemoteFsSession")]
    [InlineData("Get-RemoteChildItem", "Pipeline.PowerShell.Remote.RemoteFsItem")]
    [InlineData("New-RemoteItem", "Pipeline.PowerShell.Remote.RemoteFsItem")]
    [InlineData("Copy-RemoteItem", "Pipeline.PowerShell.Remote.RemoteFsItem")]
    [InlineData("Get-RemoteFileHash", "Pipeline.PowerShell.Remote.RemoteFileHash")]
    [InlineData("Test-RemotePath", "System.Boolean")]
    [InlineData("Sync-RemoteItem", "Pipeline.RemoteFs.Transfers.TransferResult")]
    public void Remote_cmdlets_declare_what_they_write(string name, string type) => Assert.Contains(type, Cmdlet(name).OutputTypes);

    [Fact]
    public void Items_look_like_FileInfo_to_scripts_and_formatters()
    {
        var item = ModuleFiles.CmdletAssembly.GetType("Pipeline.PowerShell.Remote.RemoteFsItem")!;
        foreach (var property in new[] { "Name", "FullName", "Length", "LastWriteTime", "PSIsContainer", "Mode" })
            Assert.NotNull(item.GetProperty(property));
    }

    // PowerShell binds a property named like the parameter before one named like its alias: an item's Path property
    // would reach -Path instead of its FullName URI.
    [Fact]
    public void Items_reach_Path_parameters_only_through_their_FullName()
    {
        var item = ModuleFiles.CmdletAssembly.GetType("Pipeline.PowerShell.Remote.RemoteFsItem")!;
        Assert.Null(item.GetProperty("Path"));
        Assert.Null(item.GetProperty("PSPath"));
    }

    [Fact]
    public void The_format_file_has_a_table_view_for_each_remote_output_type()
    {
        var format = XDocument.Load(Path.Combine(ModuleFiles.Root, "module", "Pipeline.Format.ps1xml"));
        var tables = format.Descendants("View").Where(v => v.Element("TableControl") is not null)
            .Select(v => v.Element("ViewSelectedBy")!.Element("TypeName")!.Value).ToArray();
        foreach (var type in new[] { "Pipeline.PowerShell.Remote.RemoteFsSession", "Pipeline.PowerShell.Remote.RemoteFsItem", "Pipeline.PowerShell.Remote.RemoteFileHash", "Pipeline.RemoteFs.Transfers.TransferResult" })
            Assert.Contains(type, tables);
    }

    // PowerShell lays out the cmdlet assembly's types before the module initializer makes the engine assemblies
    // loadable; a field of an engine value type (an enum, a struct, a closure capturing one) makes Import-Module fail.
    [Fact]
    public void No_type_of_the_cmdlet_assembly_holds_a_field_of_an_engine_value_type()
    {
        var engine = new[] { "Pipeline.Core", "Pipeline.RemoteFs" };
        var offenders = new List<string>();
        foreach (var type in ModuleFiles.CmdletAssembly.GetTypes())
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (NeedsEngineToLayOut(field.FieldType, engine))
                    offenders.Add($"{type.FullName}.{field.Name} ({field.FieldType})");
            }
        }
        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    // A reference-typed field is a pointer whatever its type; a value-typed one (Nullable<T>, tuples) is laid out inline.
    private static bool NeedsEngineToLayOut(Type type, string[] engine) =>
        type.IsValueType && (engine.Contains(type.Assembly.GetName().Name) || (type.IsGenericType && type.GetGenericArguments().Any(t => NeedsEngineToLayOut(t, engine))));
}
