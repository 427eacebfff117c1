using Pipeline.Cli.Tests.Support;

namespace Pipeline.Cli.Tests;

/// <summary>examples/nightly-files.yml, copied as a fresh clone has it, runs end to end, and again.</summary>
public sealed class ExampleTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Nightly_files_example_runs_end_to_end_twice_from_another_directory()
    {
        CopyExamples(Path.Combine(AppContext.BaseDirectory, "examples"), _workspace.Path("repo/examples"));
        var repo = _workspace.Path("repo");

        var first = await CliProcess.RunInAsync(_workspace, repo, "run", "examples/nightly-files.yml");
        var second = await CliProcess.RunInAsync(_workspace, repo, "run", "examples/nightly-files.yml", "--parallel");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Matches(@"(?m)^Run \S+ of 'nightly-files': succeeded in .*, 12 succeeded$", second.Stdout);
        var archive = Assert.Single(Directory.GetDirectories(Path.Combine(repo, "examples/work/archive")));
        Assert.Equal(["SHA256SUMS", "customers.csv.gz", "exports.zip", "orders.csv.gz"],
            Directory.GetFiles(archive).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(archive, "SHA256SUMS")).Length);
        Assert.False(Directory.Exists(Path.Combine(repo, "examples/work/staging")), "The cleanup step emptied the staging area.");
        var runs = await _workspace.RunAsync("runs", "--pipeline", "nightly-files", "--status", "succeeded");
        Assert.Equal(3, runs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Nightly_files_example_is_valid_and_plans_in_levels()
    {
        CopyExamples(Path.Combine(AppContext.BaseDirectory, "examples"), _workspace.Path("examples"));

        var validate = await _workspace.RunAsync("validate", "examples/nightly-files.yml");
        var plan = await _workspace.RunAsync("plan", "examples/nightly-files.yml");

        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("Pipeline 'nightly-files': 12 steps in 8 levels", plan.Stdout);
    }

    [Fact]
    public async Task Orders_report_example_sets_the_bulk_order_aside_and_writes_revenue_per_country_to_csv_and_sqlite()
    {
        CopyExamples(Path.Combine(AppContext.BaseDirectory, "examples"), _workspace.Path("repo/examples"));
        var repo = _workspace.Path("repo");

        var run = await CliProcess.RunInAsync(_workspace, repo, "run", "examples/orders-report.yml");
        var again = await CliProcess.RunInAsync(_workspace, repo, "run", "examples/orders-report.yml", "--parallel");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(again.ExitCode == 0, again.ToString());
        var report = Path.Combine(repo, "examples/work/report");
        Assert.Equal(
            ["country,orders,revenue,largest", "DE,2,1548.00,1299.00", "NO,2,358.00,180.00", "NL,1,63.75,63.75", "FR,1,59.70,59.70", "US,1,25.60,25.60"],
            File.ReadAllLines(Path.Combine(report, "revenue-by-country.csv")));
        var rejected = File.ReadAllLines(Path.Combine(report, "rejected-orders.csv"));
        Assert.Equal(2, rejected.Length);
        Assert.StartsWith("1003,C-017,", rejected[1]);
        Assert.Contains("above the maximum 10", rejected[1]);
        Assert.True(new FileInfo(Path.Combine(report, "report.db")).Length > 0);
    }

    private static void CopyExamples(string from, string to)
    {
        Assert.True(File.Exists(Path.Combine(from, "nightly-files.yml")), $"The build copies examples/ to {from}.");
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
