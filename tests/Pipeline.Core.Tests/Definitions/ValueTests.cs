using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>Durations, triggers and retry policies as written in YAML.</summary>
public sealed class ValueTests
{
    private static string StepWith(string lines) => $$"""
        pipeline_id: p
        steps:
          - id: a
            type: log
            with: { message: hi }
        {{lines}}
        """;

    [Theory]
    [InlineData("5 minutes")]
    [InlineData("-3s")]
    [InlineData("1x")]
    [InlineData("5m30")]
    [InlineData("ms")]
    [InlineData("1h-30m")]
    public void A_bad_duration_is_reported_at_its_value(string text)
    {
        var error = Problems.One(StepWith($"    timeout: {text}"));
        error.Is("bad-duration", 6, 14, "'timeout'", $"'{text}'", "30s, 5m, 1h30m");
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1h 30m 15s", 5_415_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("90", 90_000)]
    [InlineData("2.5", 2_500)]
    [InlineData("01:30:00", 5_400_000)]
    [InlineData("00:00:00.250", 250)]
    [InlineData("1M", 60_000)]
    public void Durations_take_units_a_number_of_seconds_or_a_clock_time(string text, long milliseconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
        var definition = Problems.Valid(StepWith($"    timeout: \"{text}\""));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), definition.Steps[0].Timeout);
    }

    [Fact]
    public void Durations_print_compactly()
    {
        Assert.Equal("250ms", Duration.Format(TimeSpan.FromMilliseconds(250)));
        Assert.Equal("2.5s", Duration.Format(TimeSpan.FromSeconds(2.5)));
        Assert.Equal("1h30m", Duration.Format(TimeSpan.FromMinutes(90)));
        Assert.Equal("2d3h", Duration.Format(TimeSpan.FromHours(51)));
    }

    [Theory]
    [InlineData("5ms")]
    [InlineData("2d")]
    public void A_timeout_outside_what_can_be_enforced_is_reported(string text)
    {
        var error = Problems.One(StepWith($"    timeout: {text}"));
        error.Is("bad-duration", 6, 14, "from 10ms to 24h");
    }

    [Fact]
    public void A_default_timeout_outside_what_can_be_enforced_is_reported()
    {
        var error = Problems.One("""
            pipeline_id: p
            defaults:
              timeout: 25h
            steps: [{id: a, type: log, with: {message: hi}}]
            """);
        error.Is("bad-duration", 3, 12, "defaults", "from 10ms to 24h");
    }

    [Fact]
    public void A_bad_trigger_is_reported_with_a_suggestion_and_every_rule()
    {
        var error = Problems.One(StepWith("    trigger: all_sucess"));
        error.Is("bad-value", 6, 14, "'all_sucess'", "'trigger'", "did you mean 'all_success'?",
            "all_success, all_done, all_failed, one_failed, one_success, none_failed");
    }

    [Theory]
    [InlineData("all_success", TriggerRule.AllSuccess)]
    [InlineData("all-done", TriggerRule.AllDone)]
    [InlineData("ALL_FAILED", TriggerRule.AllFailed)]
    [InlineData("one_failed", TriggerRule.OneFailed)]
    [InlineData("one_success", TriggerRule.OneSuccess)]
    [InlineData("none_failed", TriggerRule.NoneFailed)]
    public void Every_trigger_rule_is_read(string text, TriggerRule rule)
    {
        var definition = Problems.Valid(StepWith($"    trigger: {text}"));
        Assert.Equal(rule, definition.Steps[0].Trigger);
    }

    [Fact]
    public void A_retry_policy_is_read_whole()
    {
        var definition = Problems.Valid(StepWith("""
                retry:
                  max_attempts: 4
                  backoff: linear
                  delay: 2s
                  max_delay: 5s
                  jitter: yes
                  retry_on: [timeout, transient, process_exit, not_found, NotFound]
            """));
        var retry = definition.Steps[0].Retry!;
        Assert.Equal(4, retry.MaxAttempts);
        Assert.Equal(BackoffKind.Linear, retry.Backoff);
        Assert.Equal(TimeSpan.FromSeconds(2), retry.Delay);
        Assert.Equal(TimeSpan.FromSeconds(5), retry.MaxDelay);
        Assert.True(retry.Jitter);
        Assert.Equal([ErrorKind.Timeout, ErrorKind.Transient, ErrorKind.ProcessExit, ErrorKind.NotFound, ErrorKind.NotFound], retry.RetryOn);
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5)], [retry.DelayBefore(2), retry.DelayBefore(3), retry.DelayBefore(4)]);
    }

    [Fact]
    public void Bad_retry_policies_are_reported_each_at_its_value()
    {
        var errors = Problems.Of(StepWith("""
                retry:
                  max_attempts: 0
                  backoff: exponentail
                  delay: 10s
                  max_delay: 5s
                  jitter: sometimes
                  retry_on: [timeout, timout, disk_full]
            """));
        Problems.Expect(errors, 6);
        errors[0].Is("wrong-type", 7, 21, "'max_attempts'", "at least 1", "'0'");
        errors[1].Is("bad-value", 8, 16, "'exponentail'", "did you mean 'exponential'?", "constant, linear, exponential");
        errors[2].Is("bad-retry", 10, 7, "'max_delay' (5s)", "shorter than 'delay' (10s)");
        errors[3].Is("wrong-type", 11, 15, "'jitter'", "true or false");
        errors[4].Is("unknown-error-kind", 12, 27, "'timout'", "did you mean 'timeout'?", "known kinds: unknown, timeout, transient, io, process_exit, validation, authentication, not_found, permission,");
        errors[5].Is("unknown-error-kind", 12, 35, "'disk_full'");
    }

    [Fact]
    public void Retry_by_default_covers_every_kind_but_those_a_retry_cannot_fix()
    {
        var retry = new RetryPolicy { MaxAttempts = 3 };
        Assert.True(retry.Retries(ErrorKind.Timeout));
        Assert.True(retry.Retries(ErrorKind.Transient));
        Assert.True(retry.Retries(ErrorKind.Io));
        Assert.False(retry.Retries(ErrorKind.Configuration));
        Assert.False(retry.Retries(ErrorKind.Validation));
        Assert.False(retry.Retries(ErrorKind.Authentication));
        Assert.False(retry.Retries(ErrorKind.Cancelled));
    }

    [Fact]
    public void Exponential_backoff_never_overflows_and_stops_at_one_day()
    {
        var retry = new RetryPolicy { MaxAttempts = int.MaxValue, Delay = TimeSpan.FromHours(1) };
        Assert.Equal(TimeSpan.FromHours(1), retry.DelayBefore(2));
        Assert.Equal(TimeSpan.FromHours(2), retry.DelayBefore(3));
        Assert.Equal(TimeSpan.FromDays(1), retry.DelayBefore(1_000_000));
        Assert.Equal(TimeSpan.FromDays(1), (retry with { Backoff = BackoffKind.Linear }).DelayBefore(int.MaxValue));
    }

    [Fact]
    public void Defaults_apply_to_steps_that_set_nothing()
    {
        var definition = Problems.Valid("""
            pipeline_id: p
            defaults:
              timeout: 10m
              retry: { max_attempts: 2, delay: 1s }
            steps:
              - { id: a, type: log, with: { message: hi } }
              - { id: b, type: log, timeout: 1m, retry: { max_attempts: 5 }, with: { message: hi } }
            """);
        var (a, b) = (definition.Steps[0], definition.Steps[1]);
        Assert.Equal(TimeSpan.FromMinutes(10), definition.TimeoutOf(a));
        Assert.Equal(2, definition.RetryOf(a).MaxAttempts);
        Assert.Equal(TimeSpan.FromMinutes(1), definition.TimeoutOf(b));
        Assert.Equal(5, definition.RetryOf(b).MaxAttempts);
    }
}
