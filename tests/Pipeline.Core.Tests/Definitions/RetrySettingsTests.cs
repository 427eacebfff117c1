using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Tests;

public sealed class RetrySettingsTests
{
    [Fact]
    public void Every_key_of_a_yaml_retry_mapping_is_read_from_values()
    {
        var policy = RetrySettings.Parse(new Dictionary<string, object?>
        {
            ["max_attempts"] = 4,
            ["backoff"] = "linear",
            ["delay"] = "2s",
            ["max_delay"] = TimeSpan.FromSeconds(10),
            ["jitter"] = true,
            ["retry_on"] = new object[] { "timeout", "process_exit" },
        });

        Assert.Equal(4, policy.MaxAttempts);
        Assert.Equal(BackoffKind.Linear, policy.Backoff);
        Assert.Equal(TimeSpan.FromSeconds(2), policy.Delay);
        Assert.Equal(TimeSpan.FromSeconds(10), policy.MaxDelay);
        Assert.True(policy.Jitter);
        Assert.Equal([ErrorKind.Timeout, ErrorKind.ProcessExit], policy.RetryOn);
    }

    [Fact]
    public void Keys_are_matched_whatever_their_case()
    {
        var policy = RetrySettings.Parse(new Dictionary<string, object?> { ["Max_Attempts"] = "3" });
        Assert.Equal(3, policy.MaxAttempts);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_a_suggestion()
    {
        var ex = Assert.Throws<DefinitionException>(() => RetrySettings.Parse(new Dictionary<string, object?>
        {
            ["max_attempt"] = 3,
            ["delay"] = "soon",
            ["retry_on"] = "timout",
        }));

        Assert.Equal(["unknown-key", "bad-duration", "unknown-error-kind"], ex.Errors.Select(e => e.Code));
        Assert.Contains("did you mean 'max_attempts'", ex.Errors[0].Message);
        Assert.Contains("did you mean 'timeout'", ex.Errors[2].Message);
    }

    [Fact]
    public void A_max_delay_shorter_than_the_delay_is_refused()
    {
        var ex = Assert.Throws<DefinitionException>(() => RetrySettings.Parse(new Dictionary<string, object?> { ["delay"] = "10s", ["max_delay"] = "1s" }));
        Assert.Equal("bad-retry", Assert.Single(ex.Errors).Code);
    }
}
