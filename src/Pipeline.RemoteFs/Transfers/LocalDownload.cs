using System.Buffers;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Pipeline.RemoteFs.Local;

namespace Pipeline.RemoteFs.Transfers;

internal sealed partial class FileCopier
{
    /// <summary>
    /// One file written to the local disk: into a hidden temporary sibling that is renamed over the final name only
    /// when complete and verified. With <see cref="TransferOptions.Resume"/> the temporary file has a fixed name and a
    /// note (<c>.NAME.partial.source</c>) of the source version it holds, so a later transfer continues it; without,
    /// it is removed on failure. Retries within one transfer continue from what is on disk when the source can
    /// read ranges. Large files from sources with ranges are fetched in parallel parts.
    /// </summary>
    private sealed class LocalDownload
    {
        private readonly FileCopier _copier;
        private readonly TransferOptions _options;
        private readonly IRemoteFileSystem _source;
        private readonly RemoteItem _item;
        private readonly string _final;
        private readonly string _temporary;
        private readonly string? _note;
        private readonly bool _ranged;
        private readonly bool _parallel;
        private readonly long _partSize;
        private readonly bool[] _partsDone;
        private readonly string?[] _partHashes;
        private readonly bool _hashParts;
        private bool _prepared;
        private bool _succeeded;
        private bool _sourceChanged;

        public LocalDownload(FileCopier copier, IRemoteFileSystem source, RemoteItem item, LocalFileSystem destination, string destinationPath)
        {
            _copier = copier;
            _options = copier._options;
            _source = source;
            _item = item;
            _final = destination.Resolve(destinationPath);
            var directory = Path.GetDirectoryName(_final)!;
            var name = Path.GetFileName(_final);
            _ranged = source.Capabilities.HasFlag(RemoteCapabilities.RangedRead) && _options.Gzip == GzipMode.None;
            _temporary = _options.Resume && _ranged
                ? Path.Combine(directory, $".{name}.partial")
                : Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.partial");
            _note = _options.Resume && _ranged ? _temporary + ".source" : null;
            _partSize = AlignedPartSize(item, _options) ?? _options.PartSize;
            var parts = item.Length == 0 ? 1 : (int)Math.Min(int.MaxValue, (item.Length + _partSize - 1) / _partSize);
            _parallel = _ranged && item.Length >= _options.ParallelPartThreshold && parts > 1 && _options.PartParallelism > 1;
            _partsDone = new bool[_parallel ? parts : 0];
            // Parts are hashed as they arrive unless the source has a plain MD5: then one read-back of the whole file
            // (as cheap as hashing the parts) is compared with it.
            _hashParts = _options.VerifyChecksum && NativeMd5() is null;
            _partHashes = new string?[_partsDone.Length];
        }

        /// <summary>Whether bytes already counted survive a failed attempt (they are on disk and will not be fetched again).</summary>
        public bool KeepsProgress => _ranged;

        /// <summary>What identifies the source version the temporary file holds.</summary>
        private string Identity => string.Join('|', _item.Length.ToString(CultureInfo.InvariantCulture), _item.ETag ?? "",
            _item.LastWriteTime?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "", _parallel ? "parts:" + _partSize.ToString(CultureInfo.InvariantCulture) : "sequential");

        public async Task<TransferredFile> RunAsync(int attempt, Action<long> count, CancellationToken cancellationToken)
        {
            if (!_prepared) Prepare(count);
            else if (!_ranged) DeleteTemporary(); // a source without ranges is read again from the start

            FileChecksum? checksum = null;
            if (_parallel)
            {
                checksum = await DownloadPartsAsync(count, cancellationToken).ConfigureAwait(false);
                await CheckUnchangedAsync(_source, _item, cancellationToken).ConfigureAwait(false);
                if (_options.VerifyChecksum)
                    checksum ??= VerifyReceived(null) ?? await VerifyAsync(null, null, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // A fresh temporary name holds nothing on the first attempt: no need to look.
                var offset = attempt == 1 && _note is null ? 0 : new FileInfo(_temporary) is { Exists: true } partial ? partial.Length : 0;
                var streamed = await DownloadSequentialAsync(offset, count, cancellationToken).ConfigureAwait(false);
                if (offset > 0 || attempt > 1 || _source is LocalFileSystem)
                    await CheckUnchangedAsync(_source, _item, cancellationToken).ConfigureAwait(false);
                if (_options.VerifyChecksum)
                    checksum = VerifyReceived(streamed) ?? await VerifyAsync(null, null, cancellationToken).ConfigureAwait(false);
            }
            if (_options.PreserveTimestamps && _item.LastWriteTime is { } time)
                File.SetLastWriteTimeUtc(_temporary, time.UtcDateTime);
            var written = new FileInfo(_temporary).Length;
            try
            {
                File.Move(_temporary, _final, _options.Overwrite);
            }
            catch (IOException) when (!_options.Overwrite && File.Exists(_final))
            {
                throw new RemoteFsException(RemoteErrorKind.Conflict, "The destination file appeared while it was downloaded; it was left as it is", _final);
            }
            _succeeded = true;
            return new TransferredFile(_item.Path, _final, written, checksum);
        }

        private void Prepare(Action<long> count)
        {
            _prepared = true;
            if (Directory.Exists(_final))
                throw new RemoteFsException(RemoteErrorKind.Conflict, "A directory has the destination file's name", _final);
            if (!_options.Overwrite && File.Exists(_final))
                throw new RemoteFsException(RemoteErrorKind.Conflict, "The destination file already exists (overwrite is off)", _final);
            Directory.CreateDirectory(Path.GetDirectoryName(_final)!);
            if (_note is not null && File.Exists(_temporary) && File.Exists(_note))
            {
                var lines = File.ReadAllLines(_note);
                if (lines.Length > 0 && lines[0] == Identity)
                {
                    // The same version of the source: continue where the last transfer stopped.
                    if (_parallel)
                    {
                        foreach (var line in lines.Skip(1))
                            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var part) && part < _partsDone.Length)
                                _partsDone[part] = true;
                        count(Enumerable.Range(0, _partsDone.Length).Where(p => _partsDone[p]).Sum(PartLength));
                    }
                    else
                    {
                        count(Math.Min(new FileInfo(_temporary).Length, _item.Length));
                    }
                    return;
                }
            }
            // A fresh temporary name (no resume) cannot exist yet; a fixed one may hold another version.
            if (_note is null) return;
            DeleteTemporary();
            File.WriteAllText(_note, Identity + "\n");
        }

        private long PartLength(int part) => Math.Min(_partSize, _item.Length - part * _partSize);

        private async Task<string?> DownloadSequentialAsync(long offset, Action<long> count, CancellationToken cancellationToken)
        {
            if (offset > _item.Length)
            {
                DeleteTemporary();
                offset = 0;
            }
            // Unbuffered and synchronous: each write is one copy into the page cache, with no hop to another thread.
            await using var file = new FileStream(_temporary, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 0);
            await using var stream = offset == _item.Length && offset > 0
                ? Stream.Null
                : await _source.OpenReadAsync(_item.Path, offset, cancellationToken: cancellationToken).ConfigureAwait(false);
            // A source stream that checks the whole body against the source's MD5 as it arrives (an S3 object whose
            // ETag is its MD5) is not hashed here again: what is read is what is written.
            var checkedBySource = stream is IMd5CheckedReadStream { ChecksMd5: true } && offset == 0 && _options.VerifyChecksum &&
                _options.ChecksumAlgorithm == ChecksumAlgorithm.Md5 && _options.Gzip == GzipMode.None;
            using var hash = _options.VerifyChecksum && !checkedBySource ? Checksums.Create(_options.ChecksumAlgorithm) : null;
            if (hash is not null && offset > 0)
            {
                // What an earlier attempt wrote is part of the checksum of the whole.
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                try
                {
                    long left = offset;
                    while (left > 0)
                    {
                        var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(ChunkSize, left)), cancellationToken).ConfigureAwait(false);
                        if (read == 0) break;
                        hash.AppendData(buffer, 0, read);
                        left -= read;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            file.SetLength(offset);
            var output = new HashingWriteStream(new LocalFileWriteStream(file.SafeFileHandle, offset), hash);
            await using (var input = new CountingReadStream(stream, count))
            {
                await _copier.PumpAsync(input, output, cancellationToken).ConfigureAwait(false);
                CheckLength(_item, offset + input.BytesRead, _source);
            }
            if (checkedBySource) return ((IMd5CheckedReadStream)stream).VerifiedMd5;
            return hash is null ? null : Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
        }

        /// <summary>
        /// Fetches the missing parts, <see cref="TransferOptions.PartParallelism"/> at once. Unless the parts' own MD5s
        /// will verify the file (a multipart ETag), the verification follows the download: it reads each part back from
        /// the page cache as soon as the part is complete, in file order, so that hashing the file overlaps fetching it
        /// instead of coming after it. Returns that verification's result, or null when it is left for later.
        /// </summary>
        private async Task<FileChecksum?> DownloadPartsAsync(Action<long> count, CancellationToken cancellationToken)
        {
            using (var create = File.Open(_temporary, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None))
                create.SetLength(_item.Length);
            using var handle = File.OpenHandle(_temporary, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            var todo = Enumerable.Range(0, _partsDone.Length).Where(p => !_partsDone[p]).ToArray();
            var ready = _partsDone.Select(done => done ? null : new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
            var follow = _options.VerifyChecksum && !(_hashParts && _options.ChecksumAlgorithm == ChecksumAlgorithm.Md5 && MultipartCount(_item) == _partsDone.Length);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var verifying = follow ? FollowAsync() : null;
            var noteGate = new object();
            try
            {
                await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = _options.PartParallelism, CancellationToken = stop.Token },
                    async (part, token) =>
                    {
                        _partHashes[part] = await DownloadPartAsync(handle, part, count, token).ConfigureAwait(false);
                        _partsDone[part] = true;
                        ready[part]!.TrySetResult();
                        if (_note is not null)
                            lock (noteGate) File.AppendAllText(_note, part.ToString(CultureInfo.InvariantCulture) + "\n");
                    }).ConfigureAwait(false);
            }
            catch when (verifying is not null)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                // A part found damaged stopped the download: that is the failure to report, not the cancellation.
                if (await Task.WhenAny(verifying).ConfigureAwait(false) is { IsFaulted: true } failed && failed.Exception!.InnerException is not OperationCanceledException)
                    ExceptionDispatchInfo.Throw(failed.Exception.InnerException!);
                throw;
            }
            return verifying is null ? null : await verifying.ConfigureAwait(false);

            async Task<FileChecksum> FollowAsync()
            {
                try
                {
                    return await VerifyAsync(handle, ready.Select(r => r?.Task).ToArray(), stop.Token).ConfigureAwait(false);
                }
                catch
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                    throw;
                }
            }
        }

        /// <summary>Fetches one part into its place in the file, writing whole buffers (one write per MiB, not per network read).</summary>
        private async Task<string?> DownloadPartAsync(SafeFileHandle handle, int part, Action<long> count, CancellationToken cancellationToken)
        {
            var start = part * _partSize;
            var length = PartLength(part);
            using var hash = _hashParts ? Checksums.Create(_options.ChecksumAlgorithm) : null;
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            long done = 0;
            var filled = 0;
            try
            {
                await using var input = await _source.OpenReadAsync(_item.Path, start, length, cancellationToken).ConfigureAwait(false);
                var ended = false;
                while (done < length && !ended)
                {
                    var want = (int)Math.Min(ChunkSize, length - done);
                    var read = await input.ReadAsync(buffer.AsMemory(filled, want - filled), cancellationToken).ConfigureAwait(false);
                    ended = read == 0;
                    filled += read;
                    count(read);
                    if (filled < want && !ended) continue;
                    hash?.AppendData(buffer, 0, filled);
                    // Synchronous: a copy into the page cache costs less than handing it to another thread.
                    RandomAccess.Write(handle, buffer.AsSpan(0, filled), start + done);
                    done += filled;
                    filled = 0;
                }
            }
            catch
            {
                count(-(done + filled)); // the part is fetched again as a whole
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            if (done != length)
            {
                count(-done);
                throw new RemoteFsException(RemoteErrorKind.Conflict,
                    $"The source changed while it was copied: the range at {start} gave {done} of {length} bytes", _item.Path, _source.Endpoint);
            }
            return hash is null ? null : Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
        }

        /// <summary>
        /// A part size that cuts the file where its multipart upload did, when the source's ETag is an S3 multipart
        /// ETag (<c>md5-N</c>) of parts of a whole number of MiB: then the parts' MD5s, computed as they arrive,
        /// give the same ETag and verify the download end to end without reading it again.
        /// </summary>
        private static long? AlignedPartSize(RemoteItem item, TransferOptions options)
        {
            if (options.ChecksumAlgorithm != ChecksumAlgorithm.Md5 || options.Gzip != GzipMode.None || MultipartCount(item) is not (> 1 and var count))
                return null;
            const long MiB = 1024 * 1024;
            var size = (item.Length + count - 1) / count;
            size = (size + MiB - 1) / MiB * MiB;
            return (item.Length + size - 1) / size == count ? size : null;
        }

        /// <summary>N of an S3 multipart ETag <c>"md5-N"</c>, else null.</summary>
        private static int? MultipartCount(RemoteItem item)
        {
            var etag = item.ETag?.Trim('"');
            var dash = etag?.IndexOf('-') ?? -1;
            return dash == 32 && etag![..32].All(char.IsAsciiHexDigit) && int.TryParse(etag[33..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        }

        /// <summary>
        /// Verifies what arrived without reading the file again: a sequential download's MD5 is what was written (and
        /// native when it equals the source's single-part ETag); a parallel one's part MD5s against the source's
        /// multipart ETag. Null when neither applies: the file is read back and each part compared with what arrived.
        /// </summary>
        private FileChecksum? VerifyReceived(string? streamed)
        {
            // An ETag is the object's MD5 only for some uploads (not SSE-KMS or SSE-C ones, not every S3-compatible
            // server's multipart ones): a match confirms the download end to end; a difference is no proof of damage.
            if (!_parallel && streamed is not null)
                return new FileChecksum(_options.ChecksumAlgorithm, streamed, Native: NativeMd5() == streamed);
            if (_parallel && _options.ChecksumAlgorithm == ChecksumAlgorithm.Md5 && MultipartCount(_item) == _partsDone.Length && _partHashes.All(h => h is not null))
            {
                using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                foreach (var part in _partHashes) md5.AppendData(Convert.FromHexString(part!));
                var received = $"{Convert.ToHexString(md5.GetHashAndReset()).ToLowerInvariant()}-{_partsDone.Length}";
                var etag = _item.ETag!.Trim('"').ToLowerInvariant();
                if (received == etag) return new FileChecksum(ChecksumAlgorithm.Md5, etag, Native: true);
            }
            return null;
        }

        /// <summary>The source's MD5 when its entity tag is one (a single-part S3 upload) and the bytes arrive unchanged, else null.</summary>
        private string? NativeMd5() =>
            _options.ChecksumAlgorithm == ChecksumAlgorithm.Md5 && _options.Gzip == GzipMode.None && _item.ETag?.Trim('"') is { Length: 32 } etag && etag.All(char.IsAsciiHexDigit)
                ? etag.ToLowerInvariant()
                : null;

        /// <summary>
        /// Reads the temporary file back: its checksum must equal the checksum of the bytes received (sequential), the
        /// source's native MD5 when it has one, and every part's bytes as received (parallel). With <paramref name="ready"/>
        /// it follows a download in progress through its <paramref name="handle"/>, reading each part once it is complete.
        /// </summary>
        private async Task<FileChecksum> VerifyAsync(SafeFileHandle? handle, Task?[]? ready, CancellationToken cancellationToken)
        {
            using var whole = Checksums.Create(_options.ChecksumAlgorithm);
            using var part = _parallel && _hashParts ? Checksums.Create(_options.ChecksumAlgorithm) : null;
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            var own = handle is null ? File.OpenHandle(_temporary, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan) : null;
            try
            {
                var file = handle ?? own!;
                var length = RandomAccess.GetLength(file);
                long position = 0;
                var index = 0;
                while (position < length)
                {
                    var end = _parallel ? Math.Min((index + 1) * _partSize, length) : length;
                    if (ready?[index] is { } done && position == index * _partSize)
                        await done.WaitAsync(cancellationToken).ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                    // Synchronous: the bytes were just written and are in the page cache.
                    var read = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(ChunkSize, end - position)), position);
                    if (read == 0) break;
                    whole.AppendData(buffer, 0, read);
                    part?.AppendData(buffer, 0, read);
                    position += read;
                    if (_parallel && position == end)
                    {
                        var hex = part is null ? null : Convert.ToHexString(part.GetHashAndReset()).ToLowerInvariant();
                        if (hex is not null && _partHashes[index] is { } received && received != hex)
                            Mismatch($"part {index} ({received} received)", hex);
                        index++;
                    }
                }
            }
            finally
            {
                own?.Dispose();
                ArrayPool<byte>.Shared.Return(buffer);
            }
            var actual = Convert.ToHexString(whole.GetHashAndReset()).ToLowerInvariant();
            return new FileChecksum(_options.ChecksumAlgorithm, actual, Native: NativeMd5() == actual);
        }

        private void Mismatch(string expected, string actual)
        {
            Discard();
            DeleteTemporary();
            throw _copier.ChecksumMismatch(_item.Path, _final, expected, actual, new RemoteEndpoint { Scheme = "file" });
        }

        /// <summary>After the last attempt: a kept partial download stays (resume), anything else goes.</summary>
        public Task FinishAsync()
        {
            if (_succeeded)
            {
                if (_note is not null) TryDelete(_note);
            }
            else if (_note is null || _sourceChanged)
            {
                DeleteTemporary();
            }
            return Task.CompletedTask;
        }

        /// <summary>Marks the partial download as useless (the source changed, or it failed verification), so it is not kept for resuming.</summary>
        public void Discard() => _sourceChanged = true;

        private void DeleteTemporary()
        {
            TryDelete(_temporary);
            if (_note is not null) TryDelete(_note);
            Array.Clear(_partsDone);
        }

        private static void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
