using System.Xml;

namespace Pipeline.HelpCompiler;

/// <summary>Writes cmdlet help as MAML, the XML that Get-Help reads for binary modules.</summary>
public static class MamlWriter
{
    private const string Msh = "http://msh";
    private const string Maml = "http://schemas.microsoft.com/maml/2004/10";
    private const string Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static void Write(IEnumerable<CommandHelp> commands, string path)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) };
        var temporary = path + ".tmp";
        using (var xml = XmlWriter.Create(temporary, settings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("helpItems", Msh);
            xml.WriteAttributeString("schema", "maml");
            foreach (var command in commands) WriteCommand(xml, command);
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static void WriteCommand(XmlWriter xml, CommandHelp help)
    {
        xml.WriteStartElement("command", "command", Command);
        xml.WriteAttributeString("xmlns", "maml", null, Maml);
        xml.WriteAttributeString("xmlns", "dev", null, Dev);

        xml.WriteStartElement("details", Command);
        xml.WriteElementString("name", Command, help.Name);
        xml.WriteElementString("verb", Command, help.Verb);
        xml.WriteElementString("noun", Command, help.Noun);
        Paragraphs(xml, [help.Synopsis]);
        xml.WriteEndElement();

        Paragraphs(xml, help.Description);

        xml.WriteStartElement("syntax", Command);
        foreach (var set in help.ParameterSets.DefaultIfEmpty("(All)"))
        {
            xml.WriteStartElement("syntaxItem", Command);
            xml.WriteElementString("name", Maml, help.Name);
            foreach (var parameter in help.Parameters.Where(p => p.InSet(set))) Parameter(xml, parameter);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        xml.WriteStartElement("parameters", Command);
        foreach (var parameter in help.Parameters) Parameter(xml, parameter);
        xml.WriteEndElement();

        Types(xml, "inputTypes", "inputType", help.Inputs);
        Types(xml, "returnValues", "returnValue", help.Outputs);

        xml.WriteStartElement("alertSet", Maml);
        xml.WriteStartElement("alert", Maml);
        foreach (var note in help.Notes) xml.WriteElementString("para", Maml, note);
        xml.WriteEndElement();
        xml.WriteEndElement();

        xml.WriteStartElement("examples", Command);
        foreach (var example in help.Examples)
        {
            xml.WriteStartElement("example", Command);
            xml.WriteElementString("title", Maml, $"-------------------------- {example.Title} --------------------------");
            xml.WriteElementString("code", Dev, example.Code);
            xml.WriteStartElement("remarks", Dev);
            foreach (var remark in example.Remarks) xml.WriteElementString("para", Maml, remark);
            xml.WriteEndElement();
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        xml.WriteStartElement("relatedLinks", Command);
        foreach (var (text, uri) in help.Links)
        {
            xml.WriteStartElement("navigationLink", Maml);
            xml.WriteElementString("linkText", Maml, text);
            xml.WriteElementString("uri", Maml, uri);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        xml.WriteEndElement();
    }

    private static void Parameter(XmlWriter xml, ParameterHelp parameter)
    {
        xml.WriteStartElement("parameter", Command);
        xml.WriteAttributeString("required", parameter.Required ? "true" : "false");
        xml.WriteAttributeString("variableLength", parameter.Type.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false");
        xml.WriteAttributeString("globbing", parameter.Globbing ? "true" : "false");
        xml.WriteAttributeString("pipelineInput", parameter.PipelineInput);
        xml.WriteAttributeString("position", parameter.Position.ToLowerInvariant() == "named" ? "named" : parameter.Position);
        xml.WriteAttributeString("aliases", parameter.Aliases);
        xml.WriteElementString("name", Maml, parameter.Name);
        Paragraphs(xml, parameter.Description.Split("\n\n"));
        if (!parameter.IsSwitch)
        {
            xml.WriteStartElement("parameterValue", Command);
            xml.WriteAttributeString("required", "true");
            xml.WriteAttributeString("variableLength", "false");
            xml.WriteString(parameter.Type);
            xml.WriteEndElement();
        }
        xml.WriteStartElement("type", Dev);
        xml.WriteElementString("name", Maml, parameter.Type);
        xml.WriteEndElement();
        xml.WriteElementString("defaultValue", Dev, parameter.DefaultValue);
        xml.WriteEndElement();
    }

    private static void Types(XmlWriter xml, string list, string item, IReadOnlyList<TypeHelp> types)
    {
        xml.WriteStartElement(list, Command);
        foreach (var type in types)
        {
            xml.WriteStartElement(item, Command);
            xml.WriteStartElement("type", Dev);
            xml.WriteElementString("name", Maml, type.Name);
            xml.WriteEndElement();
            Paragraphs(xml, [type.Description]);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();
    }

    private static void Paragraphs(XmlWriter xml, IEnumerable<string> paragraphs)
    {
        xml.WriteStartElement("description", Maml);
        foreach (var paragraph in paragraphs) xml.WriteElementString("para", Maml, paragraph);
        xml.WriteEndElement();
    }
}
