using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Templates;
using Pipeline.Core.Tests.Definitions;
using Pipeline.Core.Tests.Support;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Templates;

/// <summary>Resolving templates for a run: built-ins, variables, the environment and secrets; and refusing, before
/// anything runs, what cannot be resolved.</summary>
public sealed class TemplateScopeTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 21, 23, 45, 6, TimeSpan.FromHours(1));

    private static TemplateScope Scope(
        Dictionary<string, string>? pipeline = null,
        Dictionary<string, string>? caller = null,
        SecretStore? secrets = null,
        SecretMasker? masker = null) =>
        new("nightly", "20261121-224506-abc123", Start, pipeline ?? [], caller ?? [], secrets ?? new SecretStore(new Dictionary<string, string>()), masker ?? new SecretMasker());

    [Fact]
    public void Built_ins_give_the_run_start_and_ids()
    {
        var scope = Scope();
        Assert.Equal("2026-11-21", scope.Render("{date}"));
        Assert.Equal("20261121", scope.Render("{date:yyyyMMdd}"));
        Assert.Equal("23:45", scope.Render("{now:HH:mm}"));
        Assert.Equal("2026-11-21T23:45:06.0000000+01:00", scope.Render("{now}"));
        Assert.Equal("20261121-224506-abc123", scope.Render("{run_id}"));
        Assert.Equal("nightly", scope.Render("{pipeline_id}"));
        Assert.Equal("out/load.csv", scope.Render("out/{step_id}.csv", stepId: "load"));
    }

    [Fact]
    public void Variables_may_refer_to_variables_and_built_ins()
    {
        var scope = Scope(new() { ["root"] = "/data/{pipeline_id}", ["day"] = "{root}/{date:yyyy/MM/dd}", ["file"] = "{day}/orders.csv" });
        Assert.Equal("/data/nightly/2026/11/21/orders.csv", scope.Variables["file"]);
        Assert.Equal("/data/nightly/2026/11/21/orders.csv", scope.Render("{file}"));
    }

    [Fact]
    public void The_callers_variables_override_the_pipelines_and_may_use_them()
    {
        var scope = Scope(new() { ["env"] = "test", ["root"] = "/data/{env}" }, new() { ["env"] = "prod", ["extra"] = "{root}/x" });
        Assert.Equal("prod", scope.Variables["env"]);
        Assert.Equal("/data/prod", scope.Variables["root"]);
        Assert.Equal("/data/prod/x", scope.Variables["extra"]);
    }

    [Fact]
    public void A_variable_named_date_replays_a_day_for_every_date_template()
    {
        var scope = Scope(new() { ["path"] = "raw/{date:yyyyMMdd}/{date}" }, new() { ["date"] = "2026-01-31" });
        Assert.Equal("raw/20260131/2026-01-31", scope.Variables["path"]);
        Assert.Equal("2026-01-31", scope.Render("{date}"));
        var ex = Assert.Throws<TemplateException>(() => Scope(new() { ["path"] = "{date:yyyy}" }, new() { ["date"] = "yesterday" }));
        Assert.Contains("'yesterday'", ex.Message);
        Assert.Contains("not a date", ex.Message);
    }

    [Fact]
    public void Variables_that_refer_to_each_other_in_a_cycle_are_reported_with_the_cycle()
    {
        var ex = Assert.Throws<TemplateException>(() => Scope(new() { ["a"] = "{b}", ["b"] = "{c}", ["c"] = "x{a}", ["ok"] = "fine" }));
        var problem = Assert.Single(ex.Problems);
        Assert.Equal("The variables refer to each other in a cycle: a -> b -> c -> a.", problem.Message);
    }

    [Fact]
    public void Every_variable_that_cannot_be_resolved_is_reported_at_once()
    {
        var ex = Assert.Throws<TemplateException>(() => Scope(new()
        {
            ["region"] = "eu",
            ["a"] = "{regoin}",
            ["b"] = "{env:PIPELINE_TEST_SURELY_UNSET_VARIABLE}",
            ["c"] = "{a}/{b}",
            ["d"] = "{self}{d}",
        }));
        Assert.Equal(["a", "b", "d"], ex.Problems.Select(p => p.Variable));
        Assert.Contains("'{regoin}' is not defined (did you mean 'region'?)", ex.Problems[0].Message);
        Assert.Contains("PIPELINE_TEST_SURELY_UNSET_VARIABLE", ex.Problems[1].Message);
        Assert.Contains("not set", ex.Problems[1].Message);
        Assert.StartsWith("3 templates cannot be resolved:", ex.Message);
    }

    [Fact]
    public void Environment_variables_are_read_when_resolved()
    {
        var name = "PIPELINE_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "from-env");
        try
        {
            Assert.Equal("x-from-env", Scope().Render($"x-{{env:{name}}}"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
        var ex = Assert.Throws<TemplateException>(() => Scope().Render($"{{env:{name}}}"));
        Assert.Contains($"environment variable '{name}'", ex.Message);
    }

    [Fact]
    public void Secrets_resolve_and_are_masked_from_then_on()
    {
        var masker = new SecretMasker();
        var scope = Scope(new() { ["dsn"] = "postgres://etl:{secret:DB_PASSWORD}@db/sales" },
            secrets: new SecretStore(new Dictionary<string, string> { ["DB_PASSWORD"] = "p@ss w0rd!" }), masker: masker);
        Assert.Equal("postgres://etl:p@ss w0rd!@db/sales", scope.Variables["dsn"]);
        Assert.Equal("postgres://etl:***@db/sales", masker.Apply(scope.Variables["dsn"]));
        Assert.Equal("postgres://etl:***@db/sales", masker.Apply("postgres://etl:p%40ss%20w0rd%21@db/sales"));
    }

    [Fact]
    public void A_missing_secret_says_where_secrets_come_from()
    {
        var problem = Scope().Check(new TemplateReference("secret", "API_TOKEN_SURELY_UNSET", 0), new HashSet<string>());
        Assert.Equal("The secret 'API_TOKEN_SURELY_UNSET' is not defined (pass it with -Secret, a secret file or the environment variable API_TOKEN_SURELY_UNSET).", problem);
    }

    [Fact]
    public void Unresolved_names_get_a_suggestion_among_variables_and_built_ins()
    {
        var scope = Scope(new() { ["region"] = "eu" });
        Assert.Contains("(did you mean 'region'?)", Assert.Throws<TemplateException>(() => scope.Render("{regon}")).Message);
        Assert.Contains("(did you mean 'run_id'?)", scope.Check(new TemplateReference("runid", null, 0), new HashSet<string>()));
    }

    [Fact]
    public void Step_outputs_resolve_from_upstream_steps_while_a_step_runs()
    {
        var scope = Scope();
        Assert.Equal("42 rows", scope.Render("{steps.extract.rows} rows", "load", name => name == "steps.extract.rows" ? "42" : null));
        Assert.Contains("has no value", Assert.Throws<TemplateException>(() => scope.Render("{steps.extract.nope}", "load", _ => null)).Message);
    }

    [Theory]
    [InlineData("{nope}", "is not defined")]
    [InlineData("{regoin}", "did you mean 'region'?")]
    [InlineData("{env}", "needs a name: {env:NAME}")]
    [InlineData("{secret:}", "needs a name: {secret:NAME}")]
    [InlineData("{run_id:short}", "takes no argument")]
    [InlineData("{region:upper}", "only date, now, env and secret take an argument")]
    [InlineData("{date:%}", "is not a date and time format")]
    [InlineData("{steps.a}", "{steps.ID.NAME}")]
    [InlineData("{steps.c.value}", "step 'c', which does not run before this step")]
    [InlineData("{steps.x.value}", "does not run before this step")]
    public void Templates_that_cannot_resolve_are_reported_when_loading(string template, string words)
    {
        var error = Problems.One($$"""
            pipeline_id: p
            variables: { region: eu }
            steps:
              - { id: a, type: test.step }
              - { id: b, type: test.step, depends_on: [a], with: { message: "{{template}}" } }
              - { id: c, type: test.step, depends_on: [a] }
            """);
        error.Is("unresolved-template", 5, 65, "Step 'b', option 'message'", words);
    }

    [Fact]
    public void Templates_that_resolve_pass_when_loading()
    {
        Problems.Valid("""
            pipeline_id: p
            variables: { region: eu, day: "{date:yyyyMMdd}" }
            steps:
              - { id: a, type: test.step }
              - { id: b, type: test.step, depends_on: [a] }
              - id: c
                type: test.step
                depends_on: [b]
                with:
                  message: "{region}/{day}/{now:HHmm}/{run_id}/{pipeline_id}/{step_id}/{env:HOME}/{secret:ANY}/{steps.a.value}/{steps.b.rows}/{{literal}}"
                  value: '{ "json": [1, 2] }'
            """);
    }

    [Fact]
    public void Variable_templates_are_checked_when_loading_each_at_its_variable()
    {
        var errors = Problems.Of("""
            pipeline_id: p
            variables:
              region: eu
              a: "{b}"
              b: "{a}"
              c: "{regin}"
              d: "{d}"
              e: "{step_id}"
              f: "{steps.a.rows}"
            steps: [{ id: s, type: test.step }]
            """);
        Problems.Expect(errors, 5);
        errors[0].Is("variable-cycle", 4, 6, "a -> b -> a");
        errors[1].Is("unresolved-template", 6, 6, "The variable 'c'", "did you mean 'region'?");
        errors[2].Is("variable-cycle", 7, 6, "'d' refers to itself");
        errors[3].Is("unresolved-template", 8, 6, "The variable 'e'", "only in a step's options");
        errors[4].Is("unresolved-template", 9, 6, "The variable 'f'", "only in a step's options");
    }

    [Fact]
    public void A_variable_the_caller_supplies_is_not_checked_from_the_pipelines_value()
    {
        const string yaml = """
            pipeline_id: p
            variables: { target: "{undefined_yet}" }
            steps: [{ id: s, type: test.step, with: { message: "{target} {from_caller}" } }]
            """;
        var definition = DefinitionLoader.LoadText(yaml, Problems.Registry(), callerVariables: ["target", "from_caller"]);
        Assert.Equal("p", definition.PipelineId);
    }

    [Fact]
    public async Task A_step_sees_the_outputs_of_its_upstream_steps()
    {
        var test = new TestStep();
        var definition = Problems.Valid("""
            pipeline_id: p
            steps:
              - { id: a, type: test.step, with: { value: "42" } }
              - { id: b, type: test.step, depends_on: [a], with: { message: "got {steps.a.value} from {steps.a.status} a in {step_id}" } }
            """);
        var events = new EventLog();
        var result = await new PipelineExecutor(Registry(test)).RunAsync(new RunRequest { Definition = definition }, events);
        Assert.Equal(Pipeline.Core.State.RunStatus.Succeeded, result.Status);
        Assert.Contains(events.Events, e => e.Message == "got 42 from succeeded a in b");
    }

    [Fact]
    public async Task A_run_reports_variables_it_cannot_resolve_with_every_other_problem()
    {
        var definition = PipelineYaml.Parse("""
            pipeline_id: p
            variables:
              token: "{secret:SURELY_UNSET_SECRET_FOR_TESTS}"
            steps:
              - { id: a, type: test.stp }
            """, "p.yml").Definition!;
        var ex = await Assert.ThrowsAsync<DefinitionException>(() => new PipelineExecutor(Registry()).RunAsync(new RunRequest { Definition = definition }));
        Assert.Equal(2, ex.Errors.Count);
        ex.Errors[0].Is("unresolved-template", 3, 10, "SURELY_UNSET_SECRET_FOR_TESTS", "not defined");
        ex.Errors[1].Is("unknown-type", 5, 20, "did you mean 'test.step'?");
    }
}
