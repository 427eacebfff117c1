using System.Text;
using Pipeline.Core.Templates;

namespace Pipeline.Core.Tests.Templates;

/// <summary>Where {secret:NAME} values come from: the host, a secret file, the environment.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class SecretStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-secrets-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string SecretFile(string text, string name = "secrets.env")
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_secret_file_holds_name_value_lines_with_quotes_comments_and_blank_lines()
    {
        var file = SecretFile("""
            # database
            DB_PASSWORD=s3cr3t=with=equals

              API_TOKEN = "  spaced token  "
            SINGLE='it is # not a comment'
            export EXPORTED=yes
            HASH=abc#def
            EMPTY=
            DB_PASSWORD=later wins
            """);
        var store = new SecretStore(secretFile: file);
        Assert.Equal("later wins", store.Get("DB_PASSWORD"));
        Assert.Equal("  spaced token  ", store.Get("API_TOKEN"));
        Assert.Equal("it is # not a comment", store.Get("SINGLE"));
        Assert.Equal("yes", store.Get("EXPORTED"));
        Assert.Equal("abc#def", store.Get("HASH"));
        Assert.Equal("", store.Get("EMPTY"));
        Assert.Null(store.Get("SURELY_UNSET_" + Guid.NewGuid().ToString("N")));
    }

    [Fact]
    public void A_malformed_line_names_the_file_and_line_but_never_shows_the_line()
    {
        var file = SecretFile("GOOD=1\n# fine\nhunter2-is-my-password\n");
        var ex = Assert.Throws<FormatException>(() => new SecretStore(secretFile: file).Get("GOOD"));
        Assert.Contains($"{file}:3:", ex.Message);
        Assert.Contains("NAME=value", ex.Message);
        Assert.DoesNotContain("hunter2", ex.Message);
    }

    [Fact]
    public void A_line_with_a_bad_name_is_malformed_without_showing_its_value()
    {
        var file = SecretFile("my secret=hunter2\n");
        var ex = Assert.Throws<FormatException>(() => new SecretStore(secretFile: file).Get("x"));
        Assert.Contains(":1:", ex.Message);
        Assert.DoesNotContain("hunter2", ex.Message);
    }

    [Fact]
    public void A_secret_file_that_is_not_utf8_is_refused_without_its_content()
    {
        var path = Path.Combine(_directory, "latin1.env");
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes("PASSWORD=pässwörd\n"));
        var ex = Assert.Throws<FormatException>(() => new SecretStore(secretFile: path).Get("PASSWORD"));
        Assert.Contains("not valid UTF-8", ex.Message);
        Assert.DoesNotContain("ss", ex.Message.Replace(path, ""));
    }

    [Fact]
    public void A_missing_secret_file_is_an_error()
    {
        var path = Path.Combine(_directory, "nope.env");
        Assert.Throws<FileNotFoundException>(() => new SecretStore(secretFile: path).Get("X"));
    }

    [Fact]
    public void Given_values_come_first_then_the_file_then_the_environment()
    {
        var name = "PIPELINE_TEST_SECRET_" + Guid.NewGuid().ToString("N");
        var other = name + "_OTHER";
        var file = SecretFile($"{name}=from-file\n");
        Environment.SetEnvironmentVariable(name, "from-env");
        Environment.SetEnvironmentVariable(other, "only-env");
        try
        {
            Assert.Equal("given", new SecretStore(new Dictionary<string, string> { [name] = "given" }, file).Get(name));
            Assert.Equal("from-file", new SecretStore(secretFile: file).Get(name));
            Assert.Equal("only-env", new SecretStore(secretFile: file).Get(other));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
            Environment.SetEnvironmentVariable(other, null);
        }
    }

    [Fact]
    public void The_secret_file_may_be_named_by_an_environment_variable()
    {
        var file = SecretFile("FROM_NAMED_FILE=yes\n");
        var before = Environment.GetEnvironmentVariable(SecretStore.SecretsFileVariable);
        Environment.SetEnvironmentVariable(SecretStore.SecretsFileVariable, file);
        try
        {
            Assert.Equal("yes", new SecretStore().Get("FROM_NAMED_FILE"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(SecretStore.SecretsFileVariable, before);
        }
    }

    [Fact]
    public void A_secret_file_problem_is_a_template_problem_without_the_value()
    {
        var file = SecretFile("oops-no-equals-sign-S3CR3T\n");
        var scope = () => new TemplateScope("p", "r", DateTimeOffset.UnixEpoch, new Dictionary<string, string> { ["t"] = "{secret:T}" },
            new Dictionary<string, string>(), new SecretStore(secretFile: file), new SecretMasker());
        var ex = Assert.Throws<TemplateException>(scope);
        Assert.Contains(":1:", ex.Message);
        Assert.DoesNotContain("S3CR3T", ex.Message);
    }
}

/// <summary>Tests that change process-wide environment variables run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "Environment variables";
}
