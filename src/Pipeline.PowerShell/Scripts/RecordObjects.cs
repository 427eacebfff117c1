using System.Collections;
using System.Management.Automation;
using Pipeline.Core.Records;

namespace Pipeline.PowerShell.Scripts;

/// <summary>
/// The PowerShell boundary of records, the only place where a record becomes a PSObject or back:
/// <list type="bullet">
/// <item>a record becomes a <c>[pscustomobject]</c> with one note property per field, in schema order;</item>
/// <item>a <c>[pscustomobject]</c> becomes a record of its note properties; a hashtable, of its keys; a string,
/// number, date, boolean or other single value, a record with one field <c>Value</c>; any other object, a record
/// of its properties (as Export-Csv would write it). <c>$null</c> becomes no record.</item>
/// </list>
/// Values are unwrapped from their PSObject unless they are themselves custom objects.
/// </summary>
internal static class RecordObjects
{
    /// <summary>The field a single value is stored in.</summary>
    public const string ValueField = "Value";

    /// <summary>A record as a custom object.</summary>
    public static PSObject ToObject(RecordSchema schema, object?[] row)
    {
        var result = new PSObject();
        for (var i = 0; i < schema.Count; i++)
            result.Properties.Add(new PSNoteProperty(schema.Fields[i].Name, row[i]));
        return result;
    }

    /// <summary>Every row of a batch as custom objects.</summary>
    public static PSObject[] ToObjects(RecordBatch batch)
    {
        var result = new PSObject[batch.Count];
        for (var i = 0; i < result.Length; i++) result[i] = ToObject(batch.Schema, batch.Rows[i]);
        return result;
    }

    /// <summary>The field names and values of an object; false for <c>$null</c>.</summary>
    public static bool TryGetFields(object? item, out string[] names, out object?[] values)
    {
        names = [];
        values = [];
        if (item is null) return false;
        var wrapped = item as PSObject;
        var baseObject = wrapped?.BaseObject ?? item;
        if (baseObject is null) return false;

        if (baseObject is PSCustomObject)
        {
            var properties = wrapped!.Properties.Where(p => p.MemberType == PSMemberTypes.NoteProperty).ToArray();
            names = properties.Select(p => p.Name).ToArray();
            values = properties.Select(p => Unwrap(p.Value)).ToArray();
            return true;
        }
        if (baseObject is IDictionary dictionary)
        {
            var entries = dictionary.Cast<DictionaryEntry>().ToArray();
            names = entries.Select(e => Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray();
            values = entries.Select(e => Unwrap(e.Value)).ToArray();
            return true;
        }
        if (IsSingleValue(baseObject))
        {
            names = [ValueField];
            values = [baseObject];
            return true;
        }
        var adapted = (wrapped ?? PSObject.AsPSObject(baseObject)).Properties
            .Where(p => p.MemberType is PSMemberTypes.Property or PSMemberTypes.NoteProperty && p.IsGettable)
            .ToArray();
        names = adapted.Select(p => p.Name).ToArray();
        values = adapted.Select(p => Unwrap(ValueOf(p))).ToArray();
        return true;
    }

    private static object? ValueOf(PSPropertyInfo property)
    {
        try
        {
            return property.Value;
        }
        catch (GetValueException)
        {
            return null; // as Export-Csv: a property that throws is written empty
        }
    }

    private static object? Unwrap(object? value) =>
        value is PSObject { BaseObject: not PSCustomObject } pso ? pso.BaseObject : value;

    private static bool IsSingleValue(object value) =>
        value is string or char or bool or decimal or DateTime or DateTimeOffset or TimeSpan or Guid or Uri or Enum ||
        value.GetType().IsPrimitive;
}
