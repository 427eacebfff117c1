using Pipeline.Core.Definitions;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>Whatever the text, loading gives a definition or problems with positions inside the text: never another
/// exception, never a position past the end.</summary>
public sealed class RobustnessTests
{
    private const string Seed = """
        pipeline_id: p
        variables: { region: eu, day: "{date:yyyyMMdd}" }
        defaults:
          timeout: 5m
          retry: { max_attempts: 3, retry_on: [timeout, io] }
        steps:
          - id: a
            type: log
            with: &w { message: "hi {region}", level: warning }
          - id: b
            type: test.options
            depends_on: [a]
            when: "steps.a.status = 'succeeded'"
            with:
              target: '{day}'
              names: [x, y]
              labels: { k: v }
            rollback: { type: log, with: *w }
        """;

    private static readonly char[] Significant = ['{', '}', '[', ']', ':', '-', ' ', '\t', '\n', '"', '\'', '#', '&', '*', '!', '|', '>', '?', ',', '%', '@', '`', 'x', '\r', '\0', '\uFEFF'];

    [Fact]
    public void Mutated_definitions_give_a_definition_or_located_problems()
    {
        var random = new Random(20261121);
        var registry = Problems.Registry();
        for (var round = 0; round < 3_000; round++)
        {
            var text = Seed.ToCharArray().ToList();
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                var at = random.Next(text.Count);
                switch (random.Next(3))
                {
                    case 0: text.Insert(at, Significant[random.Next(Significant.Length)]); break;
                    case 1: text.RemoveAt(at); break;
                    default: text[at] = Significant[random.Next(Significant.Length)]; break;
                }
            }
            var yaml = new string(text.ToArray());
            try
            {
                DefinitionLoader.LoadText(yaml, registry, "fuzz.yml");
            }
            catch (DefinitionException ex)
            {
                // Lines end as YAML 1.1 (and YamlDotNet) says: CR LF, CR, LF, NEL, LS or PS.
                var lines = System.Text.RegularExpressions.Regex.Split(yaml.StartsWith('\uFEFF') ? yaml[1..] : yaml, "\r\n|[\r\n\u0085\u2028\u2029]");
                foreach (var error in ex.Errors.Where(e => e.Location is not null))
                {
                    var (line, column) = (error.Location!.Line, error.Location.Column);
                    Assert.True(line >= 1 && line <= lines.Length, $"Line {line} is outside the text:\n{error}\n{yaml}");
                    Assert.True(column >= 1 && column <= lines[line - 1].Length + 1, $"Column {column} is outside line {line}:\n{error}\n{yaml}");
                }
            }
        }
    }
}
