using System.Globalization;

namespace Pipeline.Core.Expressions;

/// <summary>The units of date_add and date_diff.</summary>
internal enum DateUnit
{
    Year,
    Quarter,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
}

/// <summary>
/// Date and time functions at runtime. Calendar parts and calendar units (year … day) use a timestamp's own clock
/// time; hour, minute, second and millisecond differences use the instant (UTC), so two spellings of one instant
/// are 0 hours apart. A date used as a timestamp is its midnight UTC.
/// </summary>
internal static class DateFunctions
{
    public static readonly IReadOnlyDictionary<string, DateUnit> Units = new Dictionary<string, DateUnit>(StringComparer.OrdinalIgnoreCase)
    {
        ["year"] = DateUnit.Year, ["years"] = DateUnit.Year,
        ["quarter"] = DateUnit.Quarter, ["quarters"] = DateUnit.Quarter,
        ["month"] = DateUnit.Month, ["months"] = DateUnit.Month,
        ["week"] = DateUnit.Week, ["weeks"] = DateUnit.Week,
        ["day"] = DateUnit.Day, ["days"] = DateUnit.Day,
        ["hour"] = DateUnit.Hour, ["hours"] = DateUnit.Hour,
        ["minute"] = DateUnit.Minute, ["minutes"] = DateUnit.Minute,
        ["second"] = DateUnit.Second, ["seconds"] = DateUnit.Second,
        ["millisecond"] = DateUnit.Millisecond, ["milliseconds"] = DateUnit.Millisecond,
    };

    public static bool IsCalendarUnit(DateUnit unit) => unit <= DateUnit.Day;

    /// <summary>The clock's current time with its local offset.</summary>
    public static DateTimeOffset? Now(TimeProvider time) => time.GetLocalNow();

    /// <summary>The clock's current local date.</summary>
    public static DateOnly? Today(TimeProvider time) => DateOnly.FromDateTime(time.GetLocalNow().DateTime);

    public static Numeric? Year(DateTimeOffset? t) => t is { } v ? new Numeric(v.Year) : null;

    public static Numeric? Month(DateTimeOffset? t) => t is { } v ? new Numeric(v.Month) : null;

    public static Numeric? Day(DateTimeOffset? t) => t is { } v ? new Numeric(v.Day) : null;

    public static Numeric? Hour(DateTimeOffset? t) => t is { } v ? new Numeric(v.Hour) : null;

    public static Numeric? Minute(DateTimeOffset? t) => t is { } v ? new Numeric(v.Minute) : null;

    public static Numeric? Second(DateTimeOffset? t) => t is { } v ? new Numeric(v.Second) : null;

    public static DateOnly? AddToDate(DateUnit unit, Numeric? amount, DateOnly? date, Site site)
    {
        if (amount is not { } a || date is not { } d) return null;
        var n = TextFunctions.Whole(a, "the amount", site);
        try
        {
            return unit switch
            {
                DateUnit.Year => d.AddYears(checked((int)n)),
                DateUnit.Quarter => d.AddMonths(checked((int)n * 3)),
                DateUnit.Month => d.AddMonths(checked((int)n)),
                DateUnit.Week => d.AddDays(checked((int)n * 7)),
                DateUnit.Day => d.AddDays(checked((int)n)),
                _ => throw new InvalidOperationException("A time unit on a date is added to its timestamp."),
            };
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
        {
            throw site.Fail($"adding {n} {unit.ToString().ToLowerInvariant()}(s) to {Values.Show(d)} goes past the calendar");
        }
    }

    public static DateTimeOffset? AddToTimestamp(DateUnit unit, Numeric? amount, DateTimeOffset? timestamp, Site site)
    {
        if (amount is not { } a || timestamp is not { } t) return null;
        var n = TextFunctions.Whole(a, "the amount", site);
        try
        {
            return unit switch
            {
                DateUnit.Year => t.AddYears(checked((int)n)),
                DateUnit.Quarter => t.AddMonths(checked((int)n * 3)),
                DateUnit.Month => t.AddMonths(checked((int)n)),
                DateUnit.Week => t.AddDays(checked(n * 7)),
                DateUnit.Day => t.AddDays(n),
                DateUnit.Hour => t.AddHours(n),
                DateUnit.Minute => t.AddMinutes(n),
                DateUnit.Second => t.AddSeconds(n),
                _ => t.AddMilliseconds(n),
            };
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
        {
            throw site.Fail($"adding {n} {unit.ToString().ToLowerInvariant()}(s) to {Values.Show(t)} goes past the calendar");
        }
    }

    /// <summary>date_add on a value of unknown type: a date stays a date for calendar units.</summary>
    public static object? AddToValue(DateUnit unit, Numeric? amount, object? value, Site site)
    {
        if (value is null) return null;
        if (IsCalendarUnit(unit) && (value is DateOnly || (value is string s && IsDateOnlyText(s))))
            return AddToDate(unit, amount, Values.ToDate(value, site), site) is { } d ? d : null;
        return AddToTimestamp(unit, amount, Values.ToTimestamp(value, site), site) is { } t ? t : null;
    }

    private static bool IsDateOnlyText(string s) =>
        DateOnly.TryParseExact(s.AsSpan().Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    /// <summary>b − a in units, counting the unit boundaries crossed (like SQL Server's DATEDIFF):
    /// date_diff('day', 23:59 on the 21st, 00:01 on the 22nd) is 1.</summary>
    public static Numeric? Diff(DateUnit unit, DateTimeOffset? from, DateTimeOffset? to)
    {
        if (from is not { } a || to is not { } b) return null;
        long result = unit switch
        {
            DateUnit.Year => b.Year - a.Year,
            DateUnit.Quarter => (b.Year * 4L + (b.Month - 1) / 3) - (a.Year * 4L + (a.Month - 1) / 3),
            DateUnit.Month => (b.Year * 12L + b.Month) - (a.Year * 12L + a.Month),
            DateUnit.Week => (MondayOf(b.DateTime).DayNumber - MondayOf(a.DateTime).DayNumber) / 7,
            DateUnit.Day => DateOnly.FromDateTime(b.DateTime).DayNumber - DateOnly.FromDateTime(a.DateTime).DayNumber,
            DateUnit.Hour => Boundaries(a, b, TimeSpan.TicksPerHour),
            DateUnit.Minute => Boundaries(a, b, TimeSpan.TicksPerMinute),
            DateUnit.Second => Boundaries(a, b, TimeSpan.TicksPerSecond),
            _ => Boundaries(a, b, TimeSpan.TicksPerMillisecond),
        };
        return new Numeric(result);
    }

    private static DateOnly MondayOf(DateTime clock)
    {
        var date = DateOnly.FromDateTime(clock);
        var sinceMonday = ((int)date.DayOfWeek + 6) % 7;
        return date.AddDays(-sinceMonday);
    }

    private static long Boundaries(DateTimeOffset a, DateTimeOffset b, long ticksPerUnit) =>
        b.UtcTicks / ticksPerUnit - a.UtcTicks / ticksPerUnit;

    public static string? Format(DateTimeOffset? value, string? format, CultureInfo culture, Site site)
    {
        if (value is not { } t || format is null) return null;
        try { return t.ToString(format, culture); }
        catch (FormatException) { throw site.Fail($"invalid date format {Values.Show(format)}"); }
    }

    /// <summary>Whether a .NET date format string can be used (checked once when it is a constant).</summary>
    public static bool IsValidFormat(string format, CultureInfo culture)
    {
        try
        {
            _ = DateTimeOffset.UnixEpoch.ToString(format, culture);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static DateOnly? ParseDateExact(string? text, string? format, CultureInfo culture, Site site)
    {
        if (text is null || format is null) return null;
        if (DateTime.TryParseExact(text.Trim(), format, culture, DateTimeStyles.AllowWhiteSpaces, out var d)) return DateOnly.FromDateTime(d);
        throw site.Fail($"cannot read {Values.Show(text)} as a date in the format {Values.Show(format)}");
    }

    public static DateTimeOffset? ParseTimestampExact(string? text, string? format, CultureInfo culture, Site site)
    {
        if (text is null || format is null) return null;
        if (DateTimeOffset.TryParseExact(text.Trim(), format, culture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var t)) return t;
        throw site.Fail($"cannot read {Values.Show(text)} as a timestamp in the format {Values.Show(format)}");
    }
}
