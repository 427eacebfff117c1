namespace Pipeline.RemoteFs.Sftp;

/// <summary>The requests of SFTP v3 and the OpenSSH extensions, one method each, on a channel.</summary>
internal static class SftpRequests
{
    public static async Task<SftpAttributes> StatAsync(this SftpChannel channel, string path, bool followLinks, CancellationToken cancellationToken) =>
        await channel.TryStatAsync(path, followLinks, cancellationToken).ConfigureAwait(false)
        ?? throw new SftpStatusException(SftpStatusCode.NoSuchFile, "");

    /// <summary>STAT or LSTAT, with <c>null</c> when nothing is there (without an exception: uploads ask this of every new file).</summary>
    public static async Task<SftpAttributes?> TryStatAsync(this SftpChannel channel, string path, bool followLinks, CancellationToken cancellationToken)
    {
        using var request = StatRequest(path, followLinks);
        using var response = await channel.RequestAsync(request, cancellationToken).ConfigureAwait(false);
        return ReadStat(response);
    }

    public static SftpPacketWriter StatRequest(string path, bool followLinks)
    {
        var request = new SftpPacketWriter(followLinks ? SftpPacketType.Stat : SftpPacketType.Lstat);
        request.WriteString(path);
        return request;
    }

    /// <summary>The attributes of a STAT or LSTAT answer, or <c>null</c> for "no such file".</summary>
    public static SftpAttributes? ReadStat(SftpResponse response) =>
        response.Type == SftpPacketType.Status && response.Reader().ReadUInt32() == (uint)SftpStatusCode.NoSuchFile ? null : response.ReadAttributes();

    public static async Task<SftpAttributes> FstatAsync(this SftpChannel channel, byte[] handle, CancellationToken cancellationToken)
    {
        using var request = new SftpPacketWriter(SftpPacketType.Fstat);
        request.WriteBytes(handle);
        using var response = await channel.RequestAsync(request, cancellationToken).ConfigureAwait(false);
        return response.ReadAttributes();
    }

    public static async Task<byte[]> OpenAsync(this SftpChannel channel, string path, SftpOpenFlags flags, CancellationToken cancellationToken)
    {
        using var request = OpenRequest(path, flags);
        using var response = await channel.RequestAsync(request, cancellationToken, closeHandleIfAbandoned: true).ConfigureAwait(false);
        return response.ReadHandle();
    }

    public static SftpPacketWriter OpenRequest(string path, SftpOpenFlags flags)
    {
        var request = new SftpPacketWriter(SftpPacketType.Open);
        request.WriteString(path);
        request.WriteUInt32((uint)flags);
        request.WriteAttributes(SftpAttributes.Empty);
        return request;
    }

    public static async Task<byte[]> OpenDirectoryAsync(this SftpChannel channel, string path, CancellationToken cancellationToken)
    {
        using var request = new SftpPacketWriter(SftpPacketType.Opendir);
        request.WriteString(path);
        using var response = await channel.RequestAsync(request, cancellationToken, closeHandleIfAbandoned: true).ConfigureAwait(false);
        return response.ReadHandle();
    }

    /// <summary>Sends CLOSE; the task completes with its status.</summary>
    public static Task CloseAsync(this SftpChannel channel, byte[] handle, CancellationToken cancellationToken) =>
        channel.StatusRequestAsync(SftpPacketType.Close, request => request.WriteBytes(handle), cancellationToken);

    public static SftpPacketWriter CloseRequest(byte[] handle)
    {
        var request = new SftpPacketWriter(SftpPacketType.Close);
        request.WriteBytes(handle);
        return request;
    }

    /// <summary>Every entry of a directory (without "." and ".."), with its LSTAT attributes.</summary>
    public static async Task<List<(string Name, SftpAttributes Attributes)>> ReadDirectoryAsync(this SftpChannel channel, string path, CancellationToken cancellationToken)
    {
        var handle = await channel.OpenDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
        var entries = new List<(string, SftpAttributes)>();
        try
        {
            while (true)
            {
                using var request = new SftpPacketWriter(SftpPacketType.Readdir);
                request.WriteBytes(handle);
                using var response = await channel.RequestAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.Type == SftpPacketType.Status)
                {
                    var status = response.Reader();
                    if ((SftpStatusCode)status.ReadUInt32() == SftpStatusCode.Eof) break;
                }
                response.Expect(SftpPacketType.Name);
                var reader = response.Reader();
                var count = reader.ReadUInt32();
                for (var i = 0; i < count; i++)
                {
                    var name = reader.ReadString();
                    reader.ReadBytes(); // longname, for humans
                    var attributes = reader.ReadAttributes();
                    if (name is "." or "..") continue;
                    entries.Add((name, attributes));
                }
            }
        }
        finally
        {
            await channel.CloseQuietlyAsync(handle).ConfigureAwait(false);
        }
        return entries;
    }

    /// <summary>Closes a handle on the way out of an operation, ignoring a failure (the channel may be gone).</summary>
    public static async Task CloseQuietlyAsync(this SftpChannel channel, byte[] handle)
    {
        try
        {
            await channel.CloseAsync(handle, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SftpStatusException or SftpChannelException or SftpProtocolException)
        {
        }
    }

    /// <summary>Sends CLOSE without waiting for its answer (a read handle: nothing to learn from it, one round trip saved).</summary>
    public static void CloseWithoutWaiting(this SftpChannel channel, byte[] handle)
    {
        using var request = CloseRequest(handle);
        try
        {
            SftpResponse.DisposeWhenAnswered(channel.Send(request, CancellationToken.None).Task);
        }
        catch (SftpChannelException)
        {
        }
    }

    public static Task RemoveAsync(this SftpChannel channel, string path, CancellationToken cancellationToken) =>
        channel.StatusRequestAsync(SftpPacketType.Remove, request => request.WriteString(path), cancellationToken);

    public static Task MakeDirectoryAsync(this SftpChannel channel, string path, CancellationToken cancellationToken) =>
        channel.StatusRequestAsync(SftpPacketType.Mkdir, request =>
        {
            request.WriteString(path);
            request.WriteAttributes(SftpAttributes.Empty);
        }, cancellationToken);

    public static Task RemoveDirectoryAsync(this SftpChannel channel, string path, CancellationToken cancellationToken) =>
        channel.StatusRequestAsync(SftpPacketType.Rmdir, request => request.WriteString(path), cancellationToken);

    /// <summary>RENAME of v3: OpenSSH refuses it when the target exists.</summary>
    public static Task RenameAsync(this SftpChannel channel, string from, string to, CancellationToken cancellationToken) =>
        channel.StatusRequestAsync(SftpPacketType.Rename, request =>
        {
            request.WriteString(from);
            request.WriteString(to);
        }, cancellationToken);

    /// <summary>posix-rename@openssh.com: rename(2), replacing the target atomically.</summary>
    public static Task PosixRenameAsync(this SftpChannel channel, string from, string to, CancellationToken cancellationToken) =>
        channel.ExtendedAsync(SftpExtensions.PosixRename, request =>
        {
            request.WriteString(from);
            request.WriteString(to);
        }, cancellationToken);

    public static Task HardlinkAsync(this SftpChannel channel, string existing, string link, CancellationToken cancellationToken) =>
        channel.ExtendedAsync(SftpExtensions.Hardlink, request =>
        {
            request.WriteString(existing);
            request.WriteString(link);
        }, cancellationToken);

    /// <summary>fsync@openssh.com: the server flushes an open file to disk before it answers.</summary>
    public static SftpPacketWriter FsyncRequest(byte[] handle)
    {
        var request = new SftpPacketWriter(SftpPacketType.Extended);
        request.WriteString(SftpExtensions.Fsync);
        request.WriteBytes(handle);
        return request;
    }

    /// <summary>copy-data: the server copies from one open handle to another (length 0: to the end).</summary>
    public static Task CopyDataAsync(this SftpChannel channel, byte[] from, byte[] to, long toOffset, CancellationToken cancellationToken) =>
        channel.ExtendedAsync(SftpExtensions.CopyData, request =>
        {
            request.WriteBytes(from);
            request.WriteUInt64(0);
            request.WriteUInt64(0);
            request.WriteBytes(to);
            request.WriteUInt64((ulong)toOffset);
        }, cancellationToken);

    public static Task SetModificationTimeAsync(this SftpChannel channel, string path, uint accessTime, uint modificationTime, CancellationToken cancellationToken) =>
        channel.StatusRequestAsync(SftpPacketType.Setstat, request =>
        {
            request.WriteString(path);
            request.WriteAttributes(new SftpAttributes(SftpAttributeFlags.AccessModificationTime, AccessTime: accessTime, ModificationTime: modificationTime));
        }, cancellationToken);

    public static async Task<string> RealPathAsync(this SftpChannel channel, string path, CancellationToken cancellationToken)
    {
        using var request = new SftpPacketWriter(SftpPacketType.Realpath);
        request.WriteString(path);
        using var response = await channel.RequestAsync(request, cancellationToken).ConfigureAwait(false);
        return response.ReadSingleName();
    }

    public static async Task<string> ReadLinkAsync(this SftpChannel channel, string path, CancellationToken cancellationToken)
    {
        using var request = new SftpPacketWriter(SftpPacketType.Readlink);
        request.WriteString(path);
        using var response = await channel.RequestAsync(request, cancellationToken).ConfigureAwait(false);
        return response.ReadSingleName();
    }

    /// <summary>SYMLINK. OpenSSH takes the target first and the link second (the reverse of the draft's order).</summary>
    public static Task SymlinkAsync(this SftpChannel channel, string target, string link, CancellationToken cancellationToken) =>
        channel.StatusRequestAsync(SftpPacketType.Symlink, request =>
        {
            request.WriteString(target);
            request.WriteString(link);
        }, cancellationToken);

    /// <summary>statvfs@openssh.com: (block size, total blocks, free blocks for the user).</summary>
    public static async Task<(ulong FragmentSize, ulong Blocks, ulong AvailableBlocks)> StatVfsAsync(this SftpChannel channel, string path, CancellationToken cancellationToken)
    {
        using var request = new SftpPacketWriter(SftpPacketType.Extended);
        request.WriteString(SftpExtensions.StatVfs);
        request.WriteString(path);
        using var response = await channel.RequestAsync(request, cancellationToken).ConfigureAwait(false);
        response.Expect(SftpPacketType.ExtendedReply);
        var reader = response.Reader();
        reader.ReadUInt64(); // bsize
        var fragment = reader.ReadUInt64();
        var blocks = reader.ReadUInt64();
        reader.ReadUInt64(); // bfree
        var available = reader.ReadUInt64();
        return (fragment, blocks, available);
    }

    private static Task ExtendedAsync(this SftpChannel channel, string name, Action<SftpPacketWriter> write, CancellationToken cancellationToken) =>
        channel.StatusRequestAsync(SftpPacketType.Extended, request =>
        {
            request.WriteString(name);
            write(request);
        }, cancellationToken);

    private static async Task StatusRequestAsync(this SftpChannel channel, SftpPacketType type, Action<SftpPacketWriter> write, CancellationToken cancellationToken)
    {
        using var request = new SftpPacketWriter(type);
        write(request);
        using var response = await channel.RequestAsync(request, cancellationToken).ConfigureAwait(false);
        response.Expect(SftpPacketType.Status);
    }
}
