namespace Pipeline.Core.Steps.Data.Common;

/// <summary>
/// ISO 8601 dates and timestamps written by hand (custom format strings cost several hundred nanoseconds a value):
/// <c>2026-11-21</c>, <c>2026-11-21T08:30:00Z</c>, <c>2026-11-21T08:30:00.25+01:00</c>. The fraction is written
/// only when there is one, without trailing zeros.
/// </summary>
internal static class IsoText
{
    /// <summary>Writes <c>yyyy-MM-dd</c>; false when <paramref name="destination"/> is shorter than 10.</summary>
    public static bool TryFormatDate(DateOnly date, Span<char> destination, out int written)
    {
        written = 0;
        if (destination.Length < 10) return false;
        date.Deconstruct(out var year, out var month, out var day);
        Four(destination, year);
        destination[4] = '-';
        Two(destination[5..], month);
        destination[7] = '-';
        Two(destination[8..], day);
        written = 10;
        return true;
    }

    /// <summary>Writes <c>yyyy-MM-ddTHH:mm:ss[.fffffff](Z|±hh:mm)</c>; false when <paramref name="destination"/> is
    /// shorter than 33.</summary>
    public static bool TryFormatTimestamp(DateTimeOffset value, Span<char> destination, out int written)
    {
        written = 0;
        if (destination.Length < 33) return false;
        var local = value.DateTime;
        TryFormatDate(DateOnly.FromDateTime(local), destination, out _);
        destination[10] = 'T';
        var time = local.TimeOfDay;
        Two(destination[11..], time.Hours);
        destination[13] = ':';
        Two(destination[14..], time.Minutes);
        destination[16] = ':';
        Two(destination[17..], time.Seconds);
        var n = 19;
        var fraction = (int)(local.Ticks % TimeSpan.TicksPerSecond);
        if (fraction != 0)
        {
            destination[n++] = '.';
            var digits = 7;
            while (fraction % 10 == 0)
            {
                fraction /= 10;
                digits--;
            }
            for (var i = digits - 1; i >= 0; i--)
            {
                destination[n + i] = (char)('0' + fraction % 10);
                fraction /= 10;
            }
            n += digits;
        }
        var offset = value.Offset;
        if (offset == TimeSpan.Zero)
        {
            destination[n++] = 'Z';
        }
        else
        {
            destination[n++] = offset < TimeSpan.Zero ? '-' : '+';
            var abs = offset.Duration();
            Two(destination[n..], abs.Hours);
            destination[n + 2] = ':';
            Two(destination[(n + 3)..], abs.Minutes);
            n += 5;
        }
        written = n;
        return true;
    }

    private static void Two(Span<char> destination, int value)
    {
        destination[0] = (char)('0' + value / 10);
        destination[1] = (char)('0' + value % 10);
    }

    private static void Four(Span<char> destination, int value)
    {
        destination[0] = (char)('0' + value / 1000);
        destination[1] = (char)('0' + value / 100 % 10);
        destination[2] = (char)('0' + value / 10 % 10);
        destination[3] = (char)('0' + value % 10);
    }
}
