namespace Pipeline.RemoteFs;

/// <summary>
/// A write stream whose content becomes visible under its final name only when committed. Providers write to a
/// temporary name (or an uncommitted multipart upload) and rename (or complete) on commit.
/// </summary>
public abstract class RemoteWriteStream : Stream
{
    /// <summary>The final path this stream writes to.</summary>
    public abstract string Path { get; }

    /// <summary>Makes the written content visible under <see cref="Path"/>. Call once, after the last write.</summary>
    public abstract Task CommitAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
}
