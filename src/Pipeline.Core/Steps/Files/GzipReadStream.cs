using System.Buffers.Binary;
using System.IO.Compression;

namespace Pipeline.Core.Steps.Files;

/// <summary>A gzip file that is truncated or corrupt; the message says what is wrong and where.</summary>
internal sealed class GzipFormatException(string message, Exception? innerException = null) : IOException(message, innerException);

/// <summary>
/// Decompresses a gzip file (RFC 1952, any number of members) and checks each member's header and its CRC-32/length
/// trailer. <see cref="GZipStream"/> alone reads a truncated file to its end without an error and reports a bad CRC as
/// "unsupported compression method"; this stream throws <see cref="GzipFormatException"/> instead, when the data
/// could not be trusted, before its last read returns 0.
/// </summary>
/// <remarks>
/// Members are inflated as raw deflate. <see cref="DeflateStream"/> reads past the end of the deflate data, so the
/// bytes it was given last are kept in <see cref="InputWindow"/>; the trailer is the first place after the member's
/// start where the expected CRC and length (known once the data is inflated) appear, and what follows it is given back
/// to the input for the next member.
/// </remarks>
internal sealed class GzipReadStream : Stream
{
    private const byte FlagHeaderCrc = 2, FlagExtra = 4, FlagName = 8, FlagComment = 16, FlagsReserved = 0xE0;
    private static readonly byte[] Signature = [0x1F, 0x8B];

    private readonly InputWindow _input;
    private readonly Crc32 _crc = new();
    private DeflateStream? _deflate;
    private long _memberLength;
    private long _dataStart;
    private int _member;
    private bool _finished;

    /// <summary>Reads the gzip file <paramref name="compressed"/> (disposed with this stream).</summary>
    public GzipReadStream(Stream compressed)
    {
        _input = new InputWindow(compressed);
    }

    /// <summary>Compressed bytes consumed so far.</summary>
    public long CompressedPosition => _input.Position;

    /// <summary>Members read so far.</summary>
    public int Members => _member;

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        while (!_finished)
        {
            if (_deflate is null && !await StartMemberAsync(cancellationToken).ConfigureAwait(false))
            {
                _finished = true;
                break;
            }
            int read;
            try
            {
                read = await _deflate!.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                throw new GzipFormatException($"the compressed data of member {_member} is corrupt near byte {_input.Position}.", ex);
            }
            if (read > 0)
            {
                _crc.Append(buffer.Span[..read]);
                _memberLength += read;
                return read;
            }
            await _deflate.DisposeAsync().ConfigureAwait(false);
            _deflate = null;
            await FinishMemberAsync(cancellationToken).ConfigureAwait(false);
        }
        return 0;
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Read a gzip stream asynchronously.");

    private async Task<bool> StartMemberAsync(CancellationToken cancellationToken)
    {
        var header = new List<byte>(32);
        var start = _input.Position;
        var fixedPart = new byte[10];
        var got = await _input.ReadAtMostAsync(fixedPart, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            if (_member == 0) throw new GzipFormatException("the file is empty.");
            return false;
        }
        if (got < 2 || fixedPart[0] != 0x1F || fixedPart[1] != 0x8B)
        {
            throw new GzipFormatException(_member == 0
                ? "it does not start with the gzip signature (1f 8b)."
                : $"unexpected data follows the end of the compressed data at byte {start}.");
        }
        if (got < 10) throw Truncated("inside the header of member " + (_member + 1));
        if (fixedPart[2] != 8) throw new GzipFormatException($"member {_member + 1} uses compression method {fixedPart[2]}; gzip defines only deflate (8).");
        var flags = fixedPart[3];
        if ((flags & FlagsReserved) != 0) throw new GzipFormatException($"member {_member + 1} has reserved header flags set (0x{flags:x2}).");
        header.AddRange(fixedPart);

        if ((flags & FlagExtra) != 0)
        {
            var length = await ReadHeaderBytesAsync(header, 2, cancellationToken).ConfigureAwait(false);
            await ReadHeaderBytesAsync(header, BinaryPrimitives.ReadUInt16LittleEndian(length), cancellationToken).ConfigureAwait(false);
        }
        if ((flags & FlagName) != 0) await ReadZeroTerminatedAsync(header, cancellationToken).ConfigureAwait(false);
        if ((flags & FlagComment) != 0) await ReadZeroTerminatedAsync(header, cancellationToken).ConfigureAwait(false);
        if ((flags & FlagHeaderCrc) != 0)
        {
            var expected = (ushort)Crc32.Compute(header.ToArray());
            var stored = BinaryPrimitives.ReadUInt16LittleEndian(await ReadHeaderBytesAsync(header, 2, cancellationToken).ConfigureAwait(false));
            if (stored != expected) throw new GzipFormatException($"the header CRC of member {_member + 1} does not match its header.");
        }

        _member++;
        _crc.Reset();
        _memberLength = 0;
        _dataStart = _input.Position;
        _input.ForgetHistory();
        _deflate = new DeflateStream(_input, CompressionMode.Decompress, leaveOpen: true);
        return true;
    }

    private async Task FinishMemberAsync(CancellationToken cancellationToken)
    {
        var trailer = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, _crc.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(4), unchecked((uint)_memberLength));
        var (window, windowStart, inputEnds) = await _input.RecentAsync(_dataStart, lookahead: 10, cancellationToken).ConfigureAwait(false);
        var firstMatch = -1;
        for (var from = 0; from <= window.Length - 8;)
        {
            var found = window.AsSpan(from).IndexOf(trailer);
            if (found < 0) break;
            found += from;
            if (firstMatch < 0) firstMatch = found;
            // The pattern can also straddle the last deflate bytes (an empty member ends "03 00", its trailer is all zeros):
            // the real trailer is followed by the end of the input or by the next member's signature.
            var after = window.AsSpan(found + 8);
            if ((after.IsEmpty && inputEnds) || (after.Length == 1 && after[0] == 0x1F && inputEnds) || after.StartsWith(Signature))
            {
                _input.MoveTo(windowStart + found + 8, window, windowStart);
                return;
            }
            from = found + 1;
        }
        if (firstMatch >= 0)
            throw new GzipFormatException($"unexpected data follows the end of the compressed data at byte {windowStart + firstMatch + 8}.");
        if (inputEnds)
        {
            if (window.Length >= 8 && BinaryPrimitives.ReadUInt32LittleEndian(window.AsSpan(window.Length - 4)) == unchecked((uint)_memberLength))
            {
                var stored = BinaryPrimitives.ReadUInt32LittleEndian(window.AsSpan(window.Length - 8));
                throw new GzipFormatException($"the CRC-32 of member {_member} does not match: the trailer says {stored:x8}, the data gives {_crc.Value:x8}.");
            }
            throw Truncated($"after {_memberLength} bytes of member {_member}, before its CRC-32/length trailer");
        }
        throw new GzipFormatException($"the data of member {_member} does not match its CRC-32/length trailer (near byte {_input.Position}).");
    }

    private static GzipFormatException Truncated(string where) => new($"it is truncated: it ends {where}.");

    private async Task<byte[]> ReadHeaderBytesAsync(List<byte> header, int count, CancellationToken cancellationToken)
    {
        var bytes = new byte[count];
        if (await _input.ReadAtMostAsync(bytes, cancellationToken).ConfigureAwait(false) < count)
            throw Truncated("inside the header of member " + (_member + 1));
        header.AddRange(bytes);
        return bytes;
    }

    private async Task ReadZeroTerminatedAsync(List<byte> header, CancellationToken cancellationToken)
    {
        var one = new byte[1];
        do
        {
            if (await _input.ReadAtMostAsync(one, cancellationToken).ConfigureAwait(false) == 0)
                throw Truncated("inside the header of member " + (_member + 1));
            header.Add(one[0]);
        }
        while (one[0] != 0);
    }

    /// <inheritdoc />
    public override bool CanRead => true;
    /// <inheritdoc />
    public override bool CanSeek => false;
    /// <inheritdoc />
    public override bool CanWrite => false;
    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();
    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    /// <inheritdoc />
    public override void Flush() { }
    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _deflate?.Dispose();
            _input.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_deflate is not null) await _deflate.DisposeAsync().ConfigureAwait(false);
        await _input.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The compressed input: remembers the last bytes it handed out (so the trailer can be found after the deflate
    /// stream over-read), can look ahead, and can take bytes back.
    /// </summary>
    private sealed class InputWindow(Stream inner) : Stream
    {
        private const int HistorySize = 1 << 16;
        private readonly byte[] _history = new byte[HistorySize];
        private long _historyStart;
        private long _previousChunkStart;
        private long _lastChunkStart;
        private byte[] _pending = new byte[64];
        private int _pendingOffset;
        private int _pendingCount;
        private bool _innerEnded;

        public override long Position { get; set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty) return 0;
            int read;
            if (_pendingCount > 0)
            {
                read = Math.Min(buffer.Length, _pendingCount);
                _pending.AsSpan(_pendingOffset, read).CopyTo(buffer.Span);
                _pendingOffset += read;
                _pendingCount -= read;
            }
            else
            {
                read = _innerEnded ? 0 : await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0) _innerEnded = true;
            }
            Remember(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read asynchronously.");

        public async Task<int> ReadAtMostAsync(byte[] buffer, CancellationToken cancellationToken)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var read = await ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                total += read;
            }
            return total;
        }

        /// <summary>Drops what was remembered, when a new member starts.</summary>
        public void ForgetHistory() => _historyStart = _previousChunkStart = _lastChunkStart = Position;

        /// <summary>
        /// The bytes handed out in the last two reads (not before <paramref name="notBefore"/>) followed by up to
        /// <paramref name="lookahead"/> bytes not read yet, the position of the first of them, and whether the input
        /// ends within the lookahead.
        /// </summary>
        public async Task<(byte[] Window, long Start, bool InputEnds)> RecentAsync(long notBefore, int lookahead, CancellationToken cancellationToken)
        {
            var start = Math.Max(Math.Max(notBefore, _previousChunkStart), _historyStart);
            var ahead = await PeekAsync(lookahead, cancellationToken).ConfigureAwait(false);
            var window = new byte[(int)(Position - start) + ahead];
            for (var position = start; position < Position; position++)
                window[position - start] = _history[position % HistorySize];
            _pending.AsSpan(_pendingOffset, ahead).CopyTo(window.AsSpan((int)(Position - start)));
            return (window, start, ahead < lookahead);
        }

        /// <summary>Continues reading at <paramref name="position"/>, which lies within <paramref name="window"/> (from <see cref="RecentAsync"/>).</summary>
        public void MoveTo(long position, byte[] window, long windowStart)
        {
            if (position > Position)
            {
                var skip = (int)(position - Position);
                _pendingOffset += skip;
                _pendingCount -= skip;
            }
            else if (position < Position)
            {
                var back = window.AsSpan((int)(position - windowStart), (int)(Position - position));
                var merged = new byte[back.Length + _pendingCount];
                back.CopyTo(merged);
                _pending.AsSpan(_pendingOffset, _pendingCount).CopyTo(merged.AsSpan(back.Length));
                _pending = merged;
                _pendingOffset = 0;
                _pendingCount = merged.Length;
            }
            Position = position;
            ForgetHistory();
        }

        private async Task<int> PeekAsync(int count, CancellationToken cancellationToken)
        {
            if (_pendingCount < count && !_innerEnded)
            {
                var merged = new byte[Math.Max(count, 64)];
                _pending.AsSpan(_pendingOffset, _pendingCount).CopyTo(merged);
                _pending = merged;
                _pendingOffset = 0;
                while (_pendingCount < count)
                {
                    var read = await inner.ReadAsync(_pending.AsMemory(_pendingCount, count - _pendingCount), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        _innerEnded = true;
                        break;
                    }
                    _pendingCount += read;
                }
            }
            return Math.Min(count, _pendingCount);
        }

        private void Remember(ReadOnlySpan<byte> chunk)
        {
            if (chunk.IsEmpty) return;
            _previousChunkStart = _lastChunkStart;
            _lastChunkStart = Position;
            var keep = chunk.Length > HistorySize ? chunk[^HistorySize..] : chunk;
            var index = (int)((Position + chunk.Length - keep.Length) % HistorySize);
            var first = Math.Min(keep.Length, HistorySize - index);
            keep[..first].CopyTo(_history.AsSpan(index));
            keep[first..].CopyTo(_history);
            Position += chunk.Length;
            _historyStart = Math.Max(_historyStart, Position - HistorySize);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
