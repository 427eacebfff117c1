using System.Buffers;
using System.Globalization;
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
            _partSize = _options.PartSize;
            var parts = item.Length == 0 ? 1 : (int)Math.Min(int.MaxValue, (item.Length + _partSize - 1) / _partSize);
            _parallel = _ranged && item.Length >= _options.ParallelPartThreshold && parts > 1 && _options.PartParallelism > 1;
            _partsDone = new bool[_parallel ? parts : 0];
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

            string? expected;
            if (_parallel)
            {
                await DownloadPartsAsync(count, cancellationToken).ConfigureAwait(false);
                await CheckUnchangedAsync(_source, _item, cancellationToken).ConfigureAwait(false);
                expected = NativeMd5();
            }
            else
            {
                var offset = File.Exists(_temporary) ? new FileInfo(_temporary).Length : 0;
                expected = await DownloadSequentialAsync(offset, count, cancellationToken).ConfigureAwait(false);
                if (offset > 0 || attempt > 1 || _source is LocalFileSystem)
                    await CheckUnchangedAsync(_source, _item, cancellationToken).ConfigureAwait(false);
            }

            FileChecksum? checksum = null;
            if (_options.VerifyChecksum)
                checksum = await VerifyAsync(expected, cancellationToken).ConfigureAwait(false);
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
            DeleteTemporary();
            if (_note is not null) File.WriteAllText(_note, Identity + "\n");
        }

        private long PartLength(int part) => Math.Min(_partSize, _item.Length - part * _partSize);

        private async Task<string?> DownloadSequentialAsync(long offset, Action<long> count, CancellationToken cancellationToken)
        {
            if (offset > _item.Length)
            {
                DeleteTemporary();
                offset = 0;
            }
            using var hash = _options.VerifyChecksum ? Checksums.Create(_options.ChecksumAlgorithm) : null;
            await using var file = new FileStream(_temporary, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
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
            file.Position = offset;
            var output = new HashingWriteStream(file, hash);
            var stream = offset == _item.Length && offset > 0
                ? Stream.Null
                : await _source.OpenReadAsync(_item.Path, offset, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (var input = new CountingReadStream(stream, count))
            {
                await _copier.PumpAsync(input, output, cancellationToken).ConfigureAwait(false);
                CheckLength(_item, offset + input.BytesRead, _source);
            }
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            return hash is null ? null : Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
        }

        private async Task DownloadPartsAsync(Action<long> count, CancellationToken cancellationToken)
        {
            using (var create = File.Open(_temporary, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None))
                create.SetLength(_item.Length);
            using var handle = File.OpenHandle(_temporary, FileMode.Open, FileAccess.ReadWrite, FileShare.None, FileOptions.Asynchronous);
            var todo = Enumerable.Range(0, _partsDone.Length).Where(p => !_partsDone[p]).ToArray();
            var noteGate = new object();
            await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = _options.PartParallelism, CancellationToken = cancellationToken },
                async (part, token) =>
                {
                    _partHashes[part] = await DownloadPartAsync(handle, part, count, token).ConfigureAwait(false);
                    _partsDone[part] = true;
                    if (_note is not null)
                        lock (noteGate) File.AppendAllText(_note, part.ToString(CultureInfo.InvariantCulture) + "\n");
                }).ConfigureAwait(false);
        }

        private async Task<string?> DownloadPartAsync(SafeFileHandle handle, int part, Action<long> count, CancellationToken cancellationToken)
        {
            var start = part * _partSize;
            var length = PartLength(part);
            using var hash = _options.VerifyChecksum ? Checksums.Create(_options.ChecksumAlgorithm) : null;
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            long done = 0;
            try
            {
                await using var input = await _source.OpenReadAsync(_item.Path, start, length, cancellationToken).ConfigureAwait(false);
                int read;
                while (done < length && (read = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(ChunkSize, length - done)), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash?.AppendData(buffer, 0, read);
                    await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, read), start + done, cancellationToken).ConfigureAwait(false);
                    done += read;
                    count(read);
                }
            }
            catch
            {
                count(-done); // the part is fetched again as a whole
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

        /// <summary>The source's MD5 when its entity tag is one (a single-part S3 upload) and the bytes arrive unchanged, else null.</summary>
        private string? NativeMd5() =>
            _options.ChecksumAlgorithm == ChecksumAlgorithm.Md5 && _options.Gzip == GzipMode.None && _item.ETag?.Trim('"') is { Length: 32 } etag && etag.All(char.IsAsciiHexDigit)
                ? etag.ToLowerInvariant()
                : null;

        /// <summary>
        /// Reads the temporary file back: its checksum must equal the checksum of the bytes received (sequential), the
        /// source's native MD5 when it has one, and every part's bytes as received (parallel).
        /// </summary>
        private async Task<FileChecksum> VerifyAsync(string? expected, CancellationToken cancellationToken)
        {
            using var whole = Checksums.Create(_options.ChecksumAlgorithm);
            using var part = _parallel ? Checksums.Create(_options.ChecksumAlgorithm) : null;
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            try
            {
                await using var file = new FileStream(_temporary, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
                long position = 0;
                var index = 0;
                int read;
                while ((read = await file.ReadAsync(buffer.AsMemory(0, _parallel ? (int)Math.Min(ChunkSize, (index + 1) * _partSize - position) : ChunkSize), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    whole.AppendData(buffer, 0, read);
                    position += read;
                    if (part is null) continue;
                    part.AppendData(buffer, 0, read);
                    if (position == (index + 1) * _partSize || position == _item.Length)
                    {
                        var hex = Convert.ToHexString(part.GetHashAndReset()).ToLowerInvariant();
                        if (_partHashes[index] is { } received && received != hex)
                            Mismatch($"part {index} ({received} received)", hex);
                        index++;
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            var actual = Convert.ToHexString(whole.GetHashAndReset()).ToLowerInvariant();
            if (expected is not null && expected != actual) Mismatch(expected, actual);
            var native = NativeMd5();
            if (native is not null && native != actual) Mismatch(native + " (the source's own MD5)", actual);
            return new FileChecksum(_options.ChecksumAlgorithm, actual, Native: false);
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
