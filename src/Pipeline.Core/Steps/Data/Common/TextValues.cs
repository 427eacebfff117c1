using System.Globalization;
using Pipeline.Core.Records;

namespace Pipeline.Core.Steps.Data.Common;

/// <summary>
/// Turns field text into typed values: culture-invariant by default (<c>1234.5</c>, <c>2026-11-21</c>,
/// <c>2026-11-21T08:30:00Z</c>), or in a given culture. The invariant forms most files use are parsed by hand without
/// allocating; anything else falls back to the framework's parsers. A timestamp without an offset is taken as UTC.
/// </summary>
internal sealed class TextValues
{
    private const NumberStyles IntegerStyle = NumberStyles.Integer;
    private const NumberStyles NumberStyle = NumberStyles.Float | NumberStyles.AllowThousands;

    private readonly CultureInfo _culture;
    private readonly bool _invariant;

    /// <summary>Parses in <paramref name="culture"/>, or invariantly when null.</summary>
    public TextValues(CultureInfo? culture)
    {
        _culture = culture ?? CultureInfo.InvariantCulture;
        _invariant = culture is null || culture.Equals(CultureInfo.InvariantCulture);
        var shortDate = _culture.DateTimeFormat.ShortDatePattern;
        var loose = shortDate.Replace("dd", "d", StringComparison.Ordinal).Replace("MM", "M", StringComparison.Ordinal);
        _dateFormats = [shortDate, loose, "yyyy-MM-dd"];
        _timestampFormats = [shortDate + " HH:mm:ss", shortDate + " HH:mm", loose + " H:mm:ss", loose + " H:mm", _culture.DateTimeFormat.ShortDatePattern + " " + _culture.DateTimeFormat.LongTimePattern];
    }

    private readonly string[] _dateFormats;
    private readonly string[] _timestampFormats;

    /// <summary>The culture values are parsed in.</summary>
    public CultureInfo Culture => _culture;

    /// <summary>Parses <paramref name="text"/> as <paramref name="type"/>; <see cref="FieldType.Any"/> and
    /// <see cref="FieldType.String"/> keep the text.</summary>
    public bool TryParse(ReadOnlySpan<char> text, FieldType type, out object? value)
    {
        switch (type)
        {
            case FieldType.Integer:
                if (TryParseInteger(text, out var l)) { value = l; return true; }
                break;
            case FieldType.Decimal:
                if (TryParseDecimal(text, out var m)) { value = m; return true; }
                break;
            case FieldType.Double:
                if (TryParseDouble(text, out var d)) { value = d; return true; }
                break;
            case FieldType.Boolean:
                if (TryParseBoolean(text, out var b)) { value = b ? True : False; return true; }
                break;
            case FieldType.Date:
                if (TryParseDate(text, out var date)) { value = date; return true; }
                break;
            case FieldType.Timestamp:
                if (TryParseTimestamp(text, out var t)) { value = t; return true; }
                break;
            default:
                value = text.ToString();
                return true;
        }
        value = null;
        return false;
    }

    private static readonly object True = true, False = false;

    /// <summary>The narrowest type <paramref name="text"/> reads as, for inference. Integers and decimals with a
    /// leading zero (<c>007</c>) stay text, so codes and ids keep their zeros.</summary>
    public FieldType Classify(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return FieldType.Any;
        if (!_invariant)
        {
            // In a culture, "21.11.2026" would also read as a number with group separators: dates come first.
            if (DateOnly.TryParseExact(text, _dateFormats, _culture, DateTimeStyles.None, out _)) return FieldType.Date;
            if (DateTimeOffset.TryParseExact(text, _timestampFormats, _culture, DateTimeStyles.AssumeUniversal, out _)) return FieldType.Timestamp;
        }
        var first = text[0];
        if (char.IsAsciiDigit(first) || first is '-' or '+' or '.')
        {
            var digits = first is '-' or '+' ? text[1..] : text;
            if (digits.Length > 1 && digits[0] == '0' && char.IsAsciiDigit(digits[1])) return FieldType.String;
            if (TryParseInteger(text, out _)) return FieldType.Integer;
            if (LooksDecimal(text) && TryParseDecimal(text, out _)) return FieldType.Decimal;
            if (text.Length >= 10 && TryParseDate(text, out _)) return FieldType.Date;
            if (text.Length >= 16 && TryParseTimestamp(text, out _)) return FieldType.Timestamp;
            if (LooksNumeric(text) && TryParseDouble(text, out _)) return FieldType.Double;
            return FieldType.String;
        }
        if (text.Length is 4 or 5 && TryParseBoolean(text, out _)) return FieldType.Boolean;
        return FieldType.String;
    }

    /// <summary>The type that holds values of both types: integers widen to decimals, numbers to doubles, dates to
    /// timestamps, anything else to text. <see cref="FieldType.Any"/> (only nulls seen) gives way to the other.</summary>
    public static FieldType Widen(FieldType a, FieldType b)
    {
        if (a == b || b == FieldType.Any) return a;
        if (a == FieldType.Any) return b;
        static bool Numeric(FieldType t) => t is FieldType.Integer or FieldType.Decimal or FieldType.Double;
        if (Numeric(a) && Numeric(b)) return a == FieldType.Double || b == FieldType.Double ? FieldType.Double : FieldType.Decimal;
        if (a is FieldType.Date or FieldType.Timestamp && b is FieldType.Date or FieldType.Timestamp) return FieldType.Timestamp;
        return FieldType.String;
    }

    private bool LooksDecimal(ReadOnlySpan<char> text) =>
        !_invariant || text.IndexOfAny('e', 'E') < 0;

    private bool LooksNumeric(ReadOnlySpan<char> text) =>
        !_invariant || !text.ContainsAnyExcept(NumericChars);

    private static readonly System.Buffers.SearchValues<char> NumericChars = System.Buffers.SearchValues.Create("0123456789+-.eE");

    /// <summary>An integer: <c>[+-]digits</c> invariantly (by hand), or the culture's integer form.</summary>
    public bool TryParseInteger(ReadOnlySpan<char> s, out long value)
    {
        var i = 0;
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            i = 1;
        }
        var count = s.Length - i;
        if (count is > 0 and <= 18)
        {
            ulong accumulated = 0;
            for (; i < s.Length; i++)
            {
                var digit = (uint)(s[i] - '0');
                if (digit > 9) goto Slow;
                accumulated = accumulated * 10 + digit;
            }
            value = negative ? -(long)accumulated : (long)accumulated;
            return true;
        }
    Slow:
        return long.TryParse(s, IntegerStyle, _culture, out value);
    }

    /// <summary>A decimal: <c>[+-]digits[.digits]</c> of up to 18 digits by hand, else the framework's parser
    /// (exponents and, in a culture, its separators allowed).</summary>
    public bool TryParseDecimal(ReadOnlySpan<char> s, out decimal value)
    {
        if (_invariant && s.Length is > 0 and <= 19)
        {
            var i = 0;
            var negative = false;
            if (s[0] == '-' || s[0] == '+')
            {
                negative = s[0] == '-';
                i = 1;
            }
            ulong mantissa = 0;
            var digits = 0;
            var scale = -1;
            for (; i < s.Length; i++)
            {
                var c = s[i];
                var digit = (uint)(c - '0');
                if (digit <= 9)
                {
                    mantissa = mantissa * 10 + digit;
                    digits++;
                    if (scale >= 0) scale++;
                }
                else if (c == '.' && scale < 0)
                {
                    scale = 0;
                }
                else
                {
                    goto Slow;
                }
            }
            if (digits > 0)
            {
                value = new decimal((int)(uint)mantissa, (int)(uint)(mantissa >> 32), 0, negative, (byte)Math.Max(scale, 0));
                return true;
            }
        }
    Slow:
        return decimal.TryParse(s, NumberStyle, _culture, out value);
    }

    /// <summary>A finite double.</summary>
    public bool TryParseDouble(ReadOnlySpan<char> s, out double value) =>
        double.TryParse(s, NumberStyle, _culture, out value) && double.IsFinite(value);

    /// <summary><c>true</c>/<c>false</c> in any case; also <c>yes</c>/<c>no</c> and <c>1</c>/<c>0</c>.</summary>
    public static bool TryParseBoolean(ReadOnlySpan<char> s, out bool value)
    {
        if (s.Equals("true", StringComparison.OrdinalIgnoreCase) || s.Equals("yes", StringComparison.OrdinalIgnoreCase) || s is "1")
        {
            value = true;
            return true;
        }
        if (s.Equals("false", StringComparison.OrdinalIgnoreCase) || s.Equals("no", StringComparison.OrdinalIgnoreCase) || s is "0")
        {
            value = false;
            return true;
        }
        value = false;
        return false;
    }

    /// <summary>A date: <c>yyyy-MM-dd</c> by hand, else (in a culture only) the culture's date form.</summary>
    public bool TryParseDate(ReadOnlySpan<char> s, out DateOnly value)
    {
        if (s.Length == 10 && s[4] == '-' && s[7] == '-' && TryDate(s, out value)) return true;
        value = default;
        return !_invariant && DateOnly.TryParseExact(s.Trim(), _dateFormats, _culture, DateTimeStyles.None, out value);
    }

    /// <summary>A timestamp: ISO 8601 <c>yyyy-MM-dd[T ]HH:mm[:ss[.fffffff]][Z|±hh:mm]</c> by hand, else the
    /// framework's parser (in the culture when one is given). No offset means UTC.</summary>
    public bool TryParseTimestamp(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        if (TryIsoTimestamp(s, out value)) return true;
        if (s.Length < 8 || !char.IsAsciiDigit(s[0])) return false;
        if (!_invariant && DateTimeOffset.TryParseExact(s.Trim(), _timestampFormats, _culture, DateTimeStyles.AssumeUniversal, out value)) return true;
        return DateTimeOffset.TryParse(s, _culture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out value);
    }

    private static bool TryDate(ReadOnlySpan<char> s, out DateOnly value)
    {
        value = default;
        if (!Digits(s[..4], out var year) || !Digits(s.Slice(5, 2), out var month) || !Digits(s.Slice(8, 2), out var day)) return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        value = new DateOnly(year, month, day);
        return true;
    }

    private static bool TryIsoTimestamp(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 16 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') || s[13] != ':') return false;
        if (!TryDate(s, out var date)) return false;
        if (!Digits(s.Slice(11, 2), out var hour) || !Digits(s.Slice(14, 2), out var minute) || hour > 23 || minute > 59) return false;
        var i = 16;
        var second = 0;
        long fraction = 0;
        if (i < s.Length && s[i] == ':')
        {
            if (s.Length < 19 || !Digits(s.Slice(17, 2), out second) || second > 59) return false;
            i = 19;
            if (i < s.Length && (s[i] == '.' || s[i] == ','))
            {
                i++;
                var start = i;
                var scale = 10_000_000L;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    scale /= 10;
                    fraction += (s[i] - '0') * scale;
                    i++;
                }
                if (i == start || i - start > 7) return false;
            }
        }
        var offset = TimeSpan.Zero;
        if (i < s.Length)
        {
            var c = s[i];
            if ((c == 'Z' || c == 'z') && i == s.Length - 1)
            {
            }
            else if (c is '+' or '-')
            {
                var rest = s[(i + 1)..];
                int oh, om;
                if (rest.Length == 5 && rest[2] == ':' && Digits(rest[..2], out oh) && Digits(rest.Slice(3, 2), out om)) { }
                else if (rest.Length == 4 && Digits(rest[..2], out oh) && Digits(rest.Slice(2, 2), out om)) { }
                else if (rest.Length == 2 && Digits(rest, out oh)) om = 0;
                else return false;
                if (oh > 14 || om > 59) return false;
                offset = new TimeSpan(oh, om, 0);
                if (c == '-') offset = -offset;
            }
            else
            {
                return false;
            }
        }
        var ticks = date.DayNumber * TimeSpan.TicksPerDay + hour * TimeSpan.TicksPerHour + minute * TimeSpan.TicksPerMinute + second * TimeSpan.TicksPerSecond + fraction;
        var utcTicks = ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks) return false;
        value = new DateTimeOffset(ticks, offset);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        foreach (var c in s)
        {
            var digit = c - '0';
            if ((uint)digit > 9) return false;
            value = value * 10 + digit;
        }
        return true;
    }
}
