using System.Text;
using Pipeline.Core.Execution;

namespace Pipeline.Core.Steps.Data.Common;

/// <summary>
/// The <c>encoding:</c> option of text formats: utf-8 (the default), utf-8-bom (writing only), utf-16 / utf-16le,
/// utf-16be, latin1 (iso-8859-1). Reading honours a byte order mark whatever the option says. Invalid bytes are
/// never silently replaced: the decoder counts them (<see cref="CountingFallback"/>) so the reader can name the line.
/// </summary>
internal static class TextEncodings
{
    /// <summary>The accepted names.</summary>
    public static readonly string[] Names = ["utf-8", "utf-8-bom", "utf-16", "utf-16le", "utf-16be", "latin1", "iso-8859-1"];

    /// <summary>The encoding for writing, with or without a byte order mark.</summary>
    public static Encoding ForWriting(StepOptions options) => Name(options) switch
    {
        "utf-8-bom" => new UTF8Encoding(true),
        "utf-16" or "utf-16le" => new UnicodeEncoding(false, true),
        "utf-16be" => new UnicodeEncoding(true, true),
        "latin1" or "iso-8859-1" => Encoding.Latin1,
        _ => new UTF8Encoding(false),
    };

    /// <summary>The encoding for reading (before byte order mark detection), decoding invalid bytes to U+FFFD counted by <paramref name="fallback"/>.</summary>
    public static Encoding ForReading(StepOptions options, CountingFallback fallback) => ForReading(Name(options), fallback);

    /// <summary>An encoding by its name, with the counting fallback.</summary>
    public static Encoding ForReading(string name, CountingFallback fallback) => name switch
    {
        "utf-16" or "utf-16le" => Encoding.GetEncoding(1200, EncoderFallback.ExceptionFallback, fallback),
        "utf-16be" => Encoding.GetEncoding(1201, EncoderFallback.ExceptionFallback, fallback),
        "latin1" or "iso-8859-1" => Encoding.Latin1,
        _ => Encoding.GetEncoding(65001, EncoderFallback.ExceptionFallback, fallback),
    };

    private static string Name(StepOptions options) => options.GetChoice("encoding", "utf-8", Names);

    /// <summary>The encoding a byte order mark at the start of <paramref name="start"/> names, and the mark's length.</summary>
    public static (string? Name, int Length) DetectBom(ReadOnlySpan<byte> start)
    {
        if (start.Length >= 3 && start[0] == 0xEF && start[1] == 0xBB && start[2] == 0xBF) return ("utf-8", 3);
        if (start.Length >= 2 && start[0] == 0xFF && start[1] == 0xFE) return ("utf-16le", 2);
        if (start.Length >= 2 && start[0] == 0xFE && start[1] == 0xFF) return ("utf-16be", 2);
        return (null, 0);
    }

    /// <summary>Replaces each invalid byte sequence with U+FFFD and counts them, so that a reader knows when a chunk
    /// held invalid bytes and can find the line they were on.</summary>
    internal sealed class CountingFallback : DecoderFallback
    {
        /// <summary>Invalid sequences seen so far.</summary>
        public long Count { get; private set; }

        /// <inheritdoc />
        public override int MaxCharCount => 1;

        /// <inheritdoc />
        public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer(this);

        private sealed class Buffer(CountingFallback owner) : DecoderFallbackBuffer
        {
            private bool _pending;

            public override int Remaining => _pending ? 1 : 0;

            public override bool Fallback(byte[] bytesUnknown, int index)
            {
                owner.Count++;
                _pending = true;
                return true;
            }

            public override char GetNextChar()
            {
                if (!_pending) return '\0';
                _pending = false;
                return '\uFFFD';
            }

            public override bool MovePrevious() => false;

            public override void Reset() => _pending = false;
        }
    }
}
