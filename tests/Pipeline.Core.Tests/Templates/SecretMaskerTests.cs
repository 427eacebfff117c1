using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Templates;
using Pipeline.Core.Tests.Support;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Templates;

/// <summary>Every known secret is replaced in text bound for logs, events, errors and summaries.</summary>
public sealed class SecretMaskerTests
{
    private static SecretMasker Masker(params string[] secrets)
    {
        var masker = new SecretMasker();
        foreach (var secret in secrets) masker.Add(secret);
        return masker;
    }

    [Fact]
    public void Every_occurrence_is_masked()
    {
        Assert.Equal("a *** b *** c", Masker("hunter2").Apply("a hunter2 b hunter2 c"));
    }

    [Fact]
    public void Url_encoded_and_json_escaped_forms_are_masked()
    {
        var masker = Masker("p@ss w/rd\"!");
        Assert.Equal("ftp://u:***@host", masker.Apply("ftp://u:p%40ss%20w%2Frd%22%21@host"));
        Assert.Equal("form=***&x=1", masker.Apply("form=p%40ss+w%2Frd%22!&x=1"));
        Assert.Equal("lower=***", masker.Apply("lower=p%40ss%20w%2frd%22%21"));
        Assert.Equal("{\"password\":\"***\"}", masker.Apply("{\"password\":\"p@ss w/rd\\\"!\"}"));
    }

    [Fact]
    public void Overlapping_secrets_are_masked_together_so_no_part_shows()
    {
        var masker = Masker("abcdef", "defghi");
        Assert.Equal("x***x", masker.Apply("xabcdefghix"));
        Assert.Equal("***", masker.Apply("defghiabcdef"));
    }

    [Fact]
    public void A_secret_inside_another_is_masked_once()
    {
        Assert.Equal("[***]", Masker("long-secret-value", "secret").Apply("[long-secret-value]"));
        Assert.Equal("a *** b", Masker("long-secret-value", "secret").Apply("a secret b"));
    }

    [Fact]
    public void Repeated_occurrences_that_touch_are_one_mask()
    {
        Assert.Equal("***", Masker("abab").Apply("abababab"));
    }

    [Fact]
    public void Short_secrets_are_masked_where_they_stand_as_words_only()
    {
        var masker = Masker("42", "x7");
        Assert.Equal("pin=***; code ***.", masker.Apply("pin=42; code x7."));
        Assert.Equal("1420 rows, fox7", masker.Apply("1420 rows, fox7"));
    }

    [Fact]
    public void Nothing_to_mask_returns_the_text_itself()
    {
        var text = "nothing secret here";
        Assert.Same(text, Masker("hunter2").Apply(text));
        Assert.Same(text, new SecretMasker().Apply(text));
        Assert.True(new SecretMasker().IsEmpty);
        Assert.True(Masker("", null!).IsEmpty);
        Assert.Null(Masker("x").ApplyOrNull(null));
    }

    [Fact]
    public void Adding_and_masking_from_many_threads_is_safe()
    {
        var masker = new SecretMasker();
        Parallel.For(0, 200, i =>
        {
            masker.Add($"secret-number-{i:D3}");
            Assert.Equal("[***]", masker.Apply($"[secret-number-{i:D3}]"));
        });
        Assert.Equal("*** ***", masker.Apply("secret-number-000 secret-number-199"));
    }

    [Fact]
    public async Task Url_encoded_secrets_in_step_errors_are_masked_in_events_and_results()
    {
        const string secret = "Sw0rd fish&chips";
        var test = new TestStep();
        var definition = Definition(Step("leaky", with: new Dictionary<string, object?>
        {
            ["message"] = "could not reach https://u:{secret:PW}@host?p={secret:PW}",
            ["fail_times"] = "1",
        }));
        var secrets = new SecretStore(new Dictionary<string, string> { ["PW"] = secret });
        var events = new EventLog();
        // The step fails with the message as given, and logs it: both must come out masked.
        var result = await new PipelineExecutor(Registry(test)).RunAsync(new RunRequest { Definition = definition, Secrets = secrets }, events);
        Assert.Equal(Pipeline.Core.State.RunStatus.Failed, result.Status);
        var texts = events.Events.Select(e => e.Message).Append(result.Error).Append(result.Steps[0].Error).Append(RunSummary.Format(result)).ToArray();
        Assert.All(texts, t => Assert.DoesNotContain("fish", t ?? ""));
        Assert.Contains(events.Events, e => e.Message.Contains("https://u:***@host?p=***"));
    }
}
