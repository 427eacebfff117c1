using Pipeline.HelpCompiler;

// HelpCompiler <docs/en-US> <output folder> <assembly file name>
//   <Cmdlet>.md   -> <output>/<assembly>-Help.xml (MAML, one file for every cmdlet)
//   about_*.md    -> <output>/about_*.help.txt
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: HelpCompiler <markdown folder> <output folder> <assembly file name>");
    return 2;
}
var (source, output, assembly) = (args[0], args[1], args[2]);
try
{
    Directory.CreateDirectory(output);
    var files = Directory.GetFiles(source, "*.md").Order(StringComparer.Ordinal).ToArray();
    var commands = files.Where(f => !Path.GetFileName(f).StartsWith("about_", StringComparison.OrdinalIgnoreCase)).Select(CommandHelp.Parse).ToArray();
    MamlWriter.Write(commands, Path.Combine(output, assembly + "-Help.xml"));
    foreach (var about in files.Where(f => Path.GetFileName(f).StartsWith("about_", StringComparison.OrdinalIgnoreCase)))
        File.WriteAllText(Path.Combine(output, Path.GetFileNameWithoutExtension(about) + ".help.txt"), AboutTopic.ToText(File.ReadAllText(about)));
    Console.WriteLine($"HelpCompiler: {commands.Length} cmdlets and {files.Length - commands.Length} about topics -> {output}");
    return 0;
}
catch (HelpFormatException ex)
{
    Console.Error.WriteLine($"{ex.Message}");
    return 1;
}
