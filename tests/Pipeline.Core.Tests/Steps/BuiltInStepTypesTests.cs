using Pipeline.Core.Steps;

namespace Pipeline.Core.Tests.Steps;

public sealed class BuiltInStepTypesTests
{
    [Fact]
    public void Every_built_in_type_is_there_once_by_its_name()
    {
        var names = BuiltInStepTypes.Create().Select(h => h.Info.Name).ToArray();

        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.Superset(new HashSet<string>(
            ["file.copy", "file.move", "file.delete", "file.list", "file.compress", "file.decompress", "file.checksum", "process.run", "log",
             "filter", "select", "derive", "sort", "distinct", "join", "aggregate", "union", "split", "limit", "lookup", "validate",
             "remote.upload", "remote.download", "remote.list", "remote.delete", "remote.move", "remote.sync"]), new HashSet<string>(names));
    }

    [Fact]
    public void Each_type_is_a_public_sealed_class_with_a_parameterless_constructor()
    {
        foreach (var type in BuiltInStepTypes.Create().Select(h => h.GetType()))
        {
            Assert.True(type.IsPublic && type.IsSealed, type.Name);
            Assert.NotNull(type.GetConstructor(Type.EmptyTypes));
        }
    }

    [Fact]
    public void Each_type_describes_itself_and_every_option_completely()
    {
        foreach (var info in BuiltInStepTypes.Create().Select(h => h.Info))
        {
            Assert.False(string.IsNullOrWhiteSpace(info.Description), info.Name);
            Assert.Equal(info.Options.Count, info.Options.Select(o => o.Name).Distinct().Count());
            foreach (var option in info.Options)
            {
                var where = $"{info.Name}.{option.Name}";
                Assert.Matches("^[a-z][a-z_]*$", option.Name);
                Assert.False(string.IsNullOrWhiteSpace(option.Description), where);
                Assert.EndsWith(".", option.Description);
                Assert.False(option.Required && option.Default is not null, $"{where} is required and has a default");
                if (option.AllowedValues is { } allowed && option.Default is { } value)
                    Assert.Contains(value, allowed);
                if (option.Type == Pipeline.Core.Steps.StepOptionType.Boolean)
                    Assert.Contains(option.Default, new[] { "true", "false" });
            }
        }
    }

    [Fact]
    public void File_list_produces_records_and_the_transforms_read_and_write_them()
    {
        var infos = BuiltInStepTypes.Create().Select(h => h.Info).ToDictionary(i => i.Name);

        Assert.True(infos["file.list"].ProducesRecords && infos["remote.list"].ProducesRecords);
        Assert.False(infos["file.copy"].ConsumesRecords || infos["file.copy"].ProducesRecords);
        foreach (var name in new[] { "filter", "select", "derive", "sort", "distinct", "join", "aggregate", "union", "split", "limit", "lookup", "validate" })
            Assert.True(infos[name].ConsumesRecords && infos[name].ProducesRecords, name);
    }
}
