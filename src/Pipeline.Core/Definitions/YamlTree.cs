using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Pipeline.Core.Definitions;

/// <summary>A 1-based line and column.</summary>
internal readonly record struct YamlAt(int Line, int Column);

/// <summary>A YAML value with the 1-based line and column where it was written. A value written once with an
/// anchor and used again through aliases is one object; where each use stands is kept by its container.</summary>
internal abstract class YamlValue(YamlAt at)
{
    public YamlAt At { get; } = at;

    /// <summary>How deep lists and mappings nest under this value, aliases included (0 for a scalar).</summary>
    public int Depth { get; set; }

    public abstract string Describe { get; }
}

internal sealed class YamlText(YamlAt at, string value, bool plain) : YamlValue(at)
{
    public string Value { get; } = value;

    /// <summary>An unquoted empty value, <c>~</c> or <c>null</c>: YAML's null.</summary>
    public bool IsNull { get; } = plain && value is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe => "single value";
}

internal sealed class YamlList(YamlAt at) : YamlValue(at)
{
    public List<YamlItem> Items { get; } = [];

    public override string Describe => "list";
}

/// <summary>An item of a list and where it stands (an alias's own place, not its anchor's).</summary>
internal readonly record struct YamlItem(YamlValue Value, YamlAt At);

/// <summary>An entry of a mapping and where its key and its value stand.</summary>
internal readonly record struct YamlEntry(YamlValue Key, YamlValue Value, YamlAt KeyAt, YamlAt ValueAt)
{
    public string? Name => Key is YamlText t ? t.Value : null;
}

internal sealed class YamlMap(YamlAt at) : YamlValue(at)
{
    /// <summary>The entries in the order written; a duplicate key stays here (it is reported when loading).</summary>
    public List<YamlEntry> Entries { get; } = [];

    /// <summary>The first entry with this key, or null.</summary>
    public YamlEntry? Entry(string key)
    {
        foreach (var entry in Entries)
        {
            if (entry.Name == key) return entry;
        }
        return null;
    }

    /// <summary>The value of the first entry with this key, or null.</summary>
    public YamlValue? Get(string key) => Entry(key)?.Value;

    public override string Describe => "mapping";
}

/// <summary>
/// Reads YAML text into <see cref="YamlValue"/> trees from YamlDotNet's parser events, not its representation
/// model, because that model stops at the first duplicate key, hashes keys that are lists or mappings (which takes
/// exponential time when they are built from aliases), and lets a YamlDotNet bug escape as an
/// <see cref="InvalidOperationException"/>. Here: every duplicate key and every key that is not a single value is
/// reported and the load goes on; an alias refers only to a complete earlier value, so a tree has no cycles; and
/// nesting is capped (aliases included) so that nothing that walks a tree can overflow the stack, and so that
/// YamlDotNet, which slows down with the square of the nesting depth, is stopped early.
/// </summary>
internal static class YamlTree
{
    /// <summary>The deepest nesting of lists and mappings allowed, aliases included.</summary>
    public const int MaxDepth = 64;

    /// <summary>The root value of each document, and every problem found. When the text is not valid YAML the
    /// documents are empty and the one syntax error says where.</summary>
    public static (IReadOnlyList<YamlValue> Documents, List<DefinitionError> Errors) Load(string text, string? file)
    {
        var loader = new Loader(text, file);
        return loader.Run();
    }

    private sealed class Frame(YamlValue node, string? anchor, char flowBracket, long index)
    {
        public YamlValue Node { get; } = node;

        public string? Anchor { get; } = anchor;

        /// <summary>'[' or '{' for a flow collection, else '\0'.</summary>
        public char FlowBracket { get; } = flowBracket;

        /// <summary>The character index where the collection starts.</summary>
        public long Index { get; } = index;

        public YamlValue? PendingKey { get; set; }

        public YamlAt PendingKeyAt { get; set; }
    }

    private sealed class Loader(string text, string? file)
    {
        private readonly List<DefinitionError> _errors = [];
        private readonly List<YamlValue> _documents = [];
        private readonly Stack<Frame> _open = new();
        private readonly Dictionary<string, YamlValue> _anchors = new(StringComparer.Ordinal);

        private SourceLocation At(Mark mark) => new(file, (int)mark.Line, (int)mark.Column);

        private SourceLocation At(YamlAt at) => new(file, at.Line, at.Column);

        private static YamlAt Position(Mark mark) => new((int)mark.Line, (int)mark.Column);

        public (IReadOnlyList<YamlValue>, List<DefinitionError>) Run()
        {
            var parser = new Parser(new StringReader(text));
            Mark? lastGood = null;
            try
            {
                while (parser.MoveNext())
                {
                    if (!On(parser.Current!)) return ([], _errors);
                    lastGood = parser.Current!.End;
                }
            }
            catch (Exception ex) when (ex is YamlException or InvalidOperationException or ArgumentException)
            {
                // YamlDotNet throws InvalidOperationException for some unclosed flow collections (a bug of its own).
                var open = _open.Reverse().Where(f => f.FlowBracket != '\0').Select(f => (f.Index, f.FlowBracket)).ToArray();
                _errors.Add(YamlPositions.SyntaxError(ex, text, file, lastGood, open));
                return ([], _errors);
            }
            return (_documents, _errors);
        }

        /// <summary>Handles one event; false stops the load (the text is too deep to read safely).</summary>
        private bool On(ParsingEvent e)
        {
            switch (e)
            {
                case DocumentStart:
                    _anchors.Clear(); // anchors belong to their document
                    break;
                case Scalar s:
                    Add(new YamlText(Position(s.Start), s.Value, s.Style == ScalarStyle.Plain && s.Tag.IsEmpty), Position(s.Start), s.Anchor);
                    break;
                case AnchorAlias alias:
                    if (_anchors.TryGetValue(alias.Value.Value, out var target))
                    {
                        Add(target, Position(alias.Start), AnchorName.Empty);
                    }
                    else
                    {
                        _errors.Add(new DefinitionError("yaml-alias",
                            $"The alias '*{alias.Value.Value}' refers to no anchor '&{alias.Value.Value}' written before it (an alias cannot refer to the value that holds it).",
                            At(alias.Start)));
                        Add(new YamlText(Position(alias.Start), "", plain: true), Position(alias.Start), AnchorName.Empty);
                    }
                    break;
                case SequenceStart start:
                    var flowList = start.Style == SequenceStyle.Flow;
                    _open.Push(new Frame(new YamlList(Position(start.Start)), Name(start.Anchor),
                        flowList ? '[' : '\0', flowList ? FlowIndex(start.Start, '[') : -1));
                    return CheckOpenDepth(start.Start);
                case MappingStart start:
                    var flowMap = start.Style == MappingStyle.Flow;
                    _open.Push(new Frame(new YamlMap(Position(start.Start)), Name(start.Anchor),
                        flowMap ? '{' : '\0', flowMap ? FlowIndex(start.Start, '{') : -1));
                    return CheckOpenDepth(start.Start);
                case SequenceEnd or MappingEnd:
                    var frame = _open.Pop();
                    if (frame.Node is YamlMap map) CheckKeys(map);
                    if (frame.Node.Depth > MaxDepth)
                    {
                        _errors.Add(new DefinitionError("too-deep",
                            $"The definition nests lists and mappings more than {MaxDepth} levels deep (aliases included).", At(frame.Node.At)));
                        return false;
                    }
                    Add(frame.Node, frame.Node.At, AnchorName.Empty);
                    if (frame.Anchor is { } name) _anchors[name] = frame.Node;
                    break;
            }
            return true;
        }

        private static string? Name(AnchorName anchor) => anchor.IsEmpty ? null : anchor.Value;

        // The start mark of an anchored or tagged flow collection is the anchor's; the bracket comes after it.
        private long FlowIndex(Mark start, char bracket)
        {
            var index = (int)Math.Min(start.Index, text.Length);
            var found = text.IndexOf(bracket, index);
            return found < 0 ? index : found;
        }

        private bool CheckOpenDepth(Mark start)
        {
            if (_open.Count <= MaxDepth) return true;
            _errors.Add(new DefinitionError("too-deep", $"The definition nests lists and mappings more than {MaxDepth} levels deep.", At(start)));
            return false;
        }

        private void Add(YamlValue node, YamlAt at, AnchorName anchor)
        {
            if (!anchor.IsEmpty) _anchors[anchor.Value] = node;
            if (_open.Count == 0)
            {
                _documents.Add(node);
                return;
            }
            var parent = _open.Peek();
            parent.Node.Depth = Math.Max(parent.Node.Depth, node.Depth + 1);
            switch (parent.Node)
            {
                case YamlList list:
                    list.Items.Add(new YamlItem(node, at));
                    break;
                case YamlMap when parent.PendingKey is null:
                    parent.PendingKey = node;
                    parent.PendingKeyAt = at;
                    break;
                case YamlMap map:
                    map.Entries.Add(new YamlEntry(parent.PendingKey, node, parent.PendingKeyAt, at));
                    parent.PendingKey = null;
                    break;
            }
        }

        private void CheckKeys(YamlMap map)
        {
            Dictionary<string, YamlAt>? seen = map.Entries.Count > 1 ? new(StringComparer.Ordinal) : null;
            foreach (var entry in map.Entries)
            {
                if (entry.Name is not { } name)
                {
                    _errors.Add(new DefinitionError("bad-key", $"A key must be a single value, not a {entry.Key.Describe}.", At(entry.KeyAt)));
                    continue;
                }
                if (seen is not null && !seen.TryAdd(name, entry.KeyAt))
                {
                    _errors.Add(new DefinitionError("duplicate-key",
                        $"The key '{name}' appears twice in the same mapping (first at line {seen[name].Line}); keep one.", At(entry.KeyAt)));
                }
            }
        }
    }
}
