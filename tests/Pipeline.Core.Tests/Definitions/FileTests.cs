using System.Text;
using Pipeline.Core.Definitions;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>Definition files: encodings, byte order marks, bytes that are not text, missing files.</summary>
public sealed class FileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-defs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private const string Valid = "pipeline_id: p\nsteps:\n  - id: a\n    type: log\n    with: { message: héllo }\n";

    private string Write(byte[] bytes)
    {
        var path = Path.Combine(_directory, "pipeline.yml");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void A_utf8_file_with_a_byte_order_mark_loads()
    {
        var path = Write([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Valid)]);
        var definition = DefinitionLoader.LoadFile(path, Problems.Registry());
        Assert.Equal("p", definition.PipelineId);
        Assert.Equal("héllo", definition.Steps[0].With["message"]);
        Assert.Equal(path, definition.SourcePath);
    }

    [Fact]
    public void A_utf16_file_with_a_byte_order_mark_loads()
    {
        var path = Write([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Valid)]);
        Assert.Equal("héllo", DefinitionLoader.LoadFile(path, Problems.Registry()).Steps[0].With["message"]);
    }

    [Fact]
    public void A_byte_that_is_not_utf8_is_reported_with_its_offset_line_and_column()
    {
        // "héllo" written in Latin-1: 0xE9 followed by 'l' is not UTF-8.
        var bytes = Encoding.Latin1.GetBytes(Valid);
        var offset = Valid.IndexOf('é');
        var path = Write(bytes);
        var error = Assert.Single(Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadFile(path, Problems.Registry())).Errors);
        Assert.Equal("bad-encoding", error.Code);
        Assert.Equal(new SourceLocation(path, 5, 23), error.Location);
        Assert.Contains($"offset {offset} (0xE9 0x6C 0x6C 0x6F)", error.Message);
        Assert.Contains("line 5, column 23", error.Message);
    }

    [Fact]
    public void A_bad_byte_far_into_a_file_is_reported_at_its_true_offset()
    {
        // Decoders that work in blocks report the index inside the block; this one is past several blocks.
        var comment = string.Concat(Enumerable.Range(0, 500).Select(i => $"# line {i} of a long comment: ünïcödé\n"));
        var prefix = Encoding.UTF8.GetBytes(comment + "pipeline_id: p\nsteps: x");
        var path = Write([0xEF, 0xBB, 0xBF, .. prefix, 0xC3, 0x28, .. "\n"u8]);
        var error = Assert.Single(Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadFile(path, Problems.Registry())).Errors);
        Assert.Equal(new SourceLocation(path, 502, 9), error.Location);
        Assert.Contains($"offset {3 + prefix.Length} (0xC3 0x28 0x0A)", error.Message);
    }

    [Fact]
    public void A_truncated_character_at_the_end_of_a_file_is_reported()
    {
        var path = Write([.. Encoding.UTF8.GetBytes("pipeline_id: p\n"), 0xE2, 0x82]);
        var error = Assert.Single(Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadFile(path, Problems.Registry())).Errors);
        Assert.Equal(new SourceLocation(path, 2, 1), error.Location);
        Assert.Contains("offset 15", error.Message);
    }

    [Fact]
    public void A_missing_file_is_reported_with_its_full_path()
    {
        var path = Path.Combine(_directory, "nowhere.yml");
        var error = Assert.Single(Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadFile(path, Problems.Registry())).Errors);
        Assert.Equal("file-missing", error.Code);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Problems_in_a_file_name_the_file()
    {
        var path = Write(Encoding.UTF8.GetBytes("pipeline_id: p\nsteps:\n  - id: a\n    type: lgo\n"));
        var error = Assert.Single(Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadFile(path, Problems.Registry())).Errors);
        Assert.Equal(new SourceLocation(path, 4, 11), error.Location);
        Assert.StartsWith($"{path}:4:11: ", error.ToString());
        Assert.Contains("did you mean 'log'?", error.Message);
    }
}
