namespace Pipeline.Cli.Terminal;

/// <summary>A plain-text table: a header and rows, columns padded to their widest cell, two spaces apart.</summary>
internal sealed class TextTable(params string[] header)
{
    private readonly List<string[]> _rows = [];

    public int Count => _rows.Count;

    public void Add(params string?[] cells)
    {
        if (cells.Length != header.Length) throw new ArgumentException($"A row needs {header.Length} cells, not {cells.Length}.", nameof(cells));
        _rows.Add(cells.Select(c => string.IsNullOrEmpty(c) ? "-" : OneLine(c)).ToArray());
    }

    public void WriteTo(TerminalOutput output)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
        output.WriteLine(Line(header), Style.Bold);
        foreach (var row in _rows) output.WriteLine(Line(row));
    }

    // A table cell holds one line: the first line of a longer text, marked as cut.
    private static string OneLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end].TrimEnd() + " ...";
    }
}
