using System.Management.Automation;
using Pipeline.Core.Definitions;

namespace Pipeline.PowerShell.Hosting;

/// <summary>Lets a [TimeSpan] parameter take the durations definitions use (<c>30s</c>, <c>5m</c>, <c>1h30m</c>,
/// <c>250ms</c>) as well as TimeSpan values and numbers of seconds.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        // PowerShell reads an unquoted 30s as the number 30 of type short (its 's' suffix): a number of seconds too.
        if (value is short or ushort or byte or sbyte or uint) value = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
        return RetrySettings.DurationOf(value)
            ?? throw new ArgumentTransformationMetadataException($"'{value}' is not a duration: write 30s, 5m, 1h30m, 250ms, a number of seconds or a TimeSpan.");
    }
}
