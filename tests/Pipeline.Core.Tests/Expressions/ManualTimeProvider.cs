namespace Pipeline.Core.Tests.Expressions;

/// <summary>A clock that stands still until a test moves it, in a chosen local time zone.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset utcNow, TimeZoneInfo? localZone = null) : TimeProvider
{
    private DateTimeOffset _utcNow = utcNow;

    public override TimeZoneInfo LocalTimeZone { get; } = localZone ?? TimeZoneInfo.Utc;

    public override DateTimeOffset GetUtcNow() => _utcNow;

    public void Advance(TimeSpan by) => _utcNow += by;
}
