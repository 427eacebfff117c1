using System.Text;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Steps;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

/// <summary>Transforms between real CSV files: read, validate with a dead-letter file, filter, derive, join, aggregate,
/// sort past a tiny memory budget, write.</summary>
public sealed class CsvTransformTests
{
    [Fact]
    public async Task A_csv_pipeline_validates_rejects_enriches_joins_aggregates_and_sorts_into_real_files()
    {
        using var temp = new TempDirectory();
        var orders = new StringBuilder("id,customer,qty,price,country\n");
        for (var i = 1; i <= 2000; i++) orders.Append($"{i},c{i % 50},{i % 7},{(i % 13 == 0 ? "oops" : $"{i % 10}.50")},{(i % 4 == 0 ? "FR" : "DE")}\n");
        temp.Write("orders.csv", orders.ToString());
        var customers = new StringBuilder("customer,segment\n");
        for (var c = 0; c < 50; c++) customers.Append($"c{c},{(c < 25 ? "retail" : "trade")}\n");
        temp.Write("customers.csv", customers.ToString());
        var registry = StepTypeRegistry.CreateDefault();
        var definition = DefinitionLoader.LoadText("""
            pipeline_id: csv-transforms
            steps:
              - { id: orders, type: csv.read, with: { path: orders.csv } }
              - { id: customers, type: csv.read, with: { path: customers.csv } }
              - id: check
                type: validate
                input: orders
                with:
                  columns: { price: { type: decimal } }
                  on_invalid: reject
              - { id: dead, type: csv.write, input: check.rejected, with: { path: out/rejected.csv } }
              - { id: sold, type: filter, input: check, with: { where: "qty > 0" } }
              - id: priced
                type: derive
                input: sold
                with: { columns: { total: "qty * CAST(price AS decimal)" } }
              - id: segmented
                type: join
                input: [priced, customers]
                with: { on: customer }
              - id: totals
                type: aggregate
                input: segmented
                with:
                  group_by: [segment, country]
                  aggregates: { orders: "count(*)", revenue: "sum(total)" }
              - { id: ordered, type: sort, input: totals, with: { by: [revenue desc], memory_budget: "200", temp_directory: spill } }
              - { id: write, type: csv.write, input: ordered, with: { path: out/totals.csv } }
            """, registry, Path.Combine(temp.Path, "p.yml"));

        var result = await new PipelineExecutor(registry).RunAsync(new RunRequest { Definition = definition, WorkingDirectory = temp.Path });

        Assert.True(result.Succeeded, result.Error);
        var rejected = File.ReadAllLines(temp["out/rejected.csv"]);
        Assert.Equal(2000 / 13 + 1, rejected.Length);
        Assert.StartsWith("id,customer,qty,price,country,_row,_errors", rejected[0]);
        Assert.Contains("price: type (not a number)", rejected[1]);

        // The same answer computed directly from the generated rows.
        var expected = Enumerable.Range(1, 2000)
            .Where(i => i % 13 != 0 && i % 7 > 0)
            .GroupBy(i => (Segment: i % 50 < 25 ? "retail" : "trade", Country: i % 4 == 0 ? "FR" : "DE"))
            .Select(g => (g.Key.Segment, g.Key.Country, Orders: g.Count(), Revenue: g.Sum(i => i % 7 * (i % 10 + 0.5m))))
            .OrderByDescending(g => g.Revenue)
            .Select(g => $"{g.Segment},{g.Country},{g.Orders},{g.Revenue.ToString(System.Globalization.CultureInfo.InvariantCulture)}")
            .ToList();
        var lines = File.ReadAllLines(temp["out/totals.csv"]);
        Assert.Equal("segment,country,orders,revenue", lines[0]);
        Assert.Equal(expected.Select(e => e.Split(',')[0] + e.Split(',')[1]), lines.Skip(1).Select(l => l.Split(',')[0] + l.Split(',')[1]));
        Assert.Equal(expected.Select(e => decimal.Parse(e.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)),
            lines.Skip(1).Select(l => decimal.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.False(Directory.Exists(temp["spill"]) && Directory.EnumerateFileSystemEntries(temp["spill"]).Any());
    }
}
