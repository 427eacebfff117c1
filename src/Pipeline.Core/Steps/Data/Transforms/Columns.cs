using Pipeline.Core.Execution;
using Pipeline.Core.Expressions;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Transforms;

/// <summary>Finds the columns a step's options name in the schema of the records it reads.</summary>
internal static class Columns
{
    /// <summary>The position of <paramref name="name"/>; a name the input lacks is an error naming the option, with
    /// the closest names.</summary>
    public static int Find(RecordSchema schema, string name, string option)
    {
        var index = schema.IndexOf(name);
        if (index >= 0) return index;
        throw new StepException(ErrorKind.Configuration,
            $"The option '{option}' names the column '{name}', which the input does not have{NameSuggestions.Hint(name, Names(schema))} (its columns: {List(schema)}).");
    }

    /// <summary>The positions of several names.</summary>
    public static int[] FindAll(RecordSchema schema, IReadOnlyList<string> names, string option)
    {
        var indexes = new int[names.Count];
        for (var i = 0; i < names.Count; i++) indexes[i] = Find(schema, names[i], option);
        return indexes;
    }

    /// <summary>The field names in order.</summary>
    public static string[] Names(RecordSchema schema)
    {
        var names = new string[schema.Count];
        for (var i = 0; i < names.Length; i++) names[i] = schema.Fields[i].Name;
        return names;
    }

    /// <summary>The names for a message, shortened when there are many.</summary>
    public static string List(RecordSchema schema)
    {
        const int max = 20;
        var names = schema.Fields.Take(max).Select(f => f.Name);
        return string.Join(", ", names) + (schema.Count > max ? $", … ({schema.Count} in all)" : "");
    }

    /// <summary>A new schema, refusing two fields of one name with a message naming the option.</summary>
    public static RecordSchema Schema(IEnumerable<RecordField> fields, string option)
    {
        var list = fields.ToList();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in list)
        {
            if (!seen.Add(field.Name))
                throw new StepException(ErrorKind.Configuration, $"The option '{option}' gives two columns the name '{field.Name}'.");
        }
        return new RecordSchema(list);
    }

    /// <summary>
    /// Whether a batch's schema differs from the one a step compiled for. Batches of one producer usually share one
    /// schema object, so this is a reference comparison almost always.
    /// </summary>
    public static bool Changed(RecordSchema? compiledFor, RecordSchema schema) =>
        compiledFor is null || (!ReferenceEquals(compiledFor, schema) && !compiledFor.SameAs(schema));
}
