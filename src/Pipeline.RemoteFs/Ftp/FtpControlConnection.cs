using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// One logged-in FTP control connection (RFC 959): commands out, replies in, under a time limit each. Not
/// thread-safe: one operation at a time, which the pool guarantees by lending it to one user.
/// </summary>
internal sealed class FtpControlConnection : IAsyncDisposable
{
    private readonly FtpSettings _settings;
    private readonly Socket _socket;
    private Stream _stream;
    private FtpReplyReader _reader;
    private bool _disposed;
    private string? _tlsName;

    private FtpControlConnection(FtpSettings settings, Socket socket)
    {
        _settings = settings;
        _socket = socket;
        _stream = new FtpSocketStream(socket);
        _reader = new FtpReplyReader(_stream, settings.Encoding);
        LastUsed = settings.Time.GetUtcNow();
        EpsvRefused = !settings.UseEpsv;
        EprtRefused = !settings.UseEprt;
    }

    public FtpSettings Settings => _settings;

    /// <summary>What the server announced in FEAT.</summary>
    public FtpFeatures Features { get; private set; } = FtpFeatures.None;

    /// <summary>Whether the connection can no longer be trusted to be in step (a timeout, a lost reply, a broken socket).</summary>
    public bool IsBroken { get; private set; }

    /// <summary>When the connection last finished a command.</summary>
    public DateTimeOffset LastUsed { get; private set; }

    /// <summary>The server's address, where passive data connections go and active ones must come from.</summary>
    public IPAddress RemoteAddress => Plain(((IPEndPoint)_socket.RemoteEndPoint!).Address);

    /// <summary>This side's address, where active data connections are awaited.</summary>
    public IPAddress LocalAddress => Plain(((IPEndPoint)_socket.LocalEndPoint!).Address);

    // A dual-mode socket reports IPv4 peers as IPv4-mapped IPv6 addresses; FTP commands want them plain.
    private static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Whether data connections are encrypted (PROT P).</summary>
    public bool ProtectsData { get; private set; }

    /// <summary>The SHA-256 thumbprint of the control connection's certificate, which data connections must present too.</summary>
    public string? ServerThumbprint { get; private set; }

    /// <summary>Whether EPSV failed once, so PASV is used directly.</summary>
    public bool EpsvRefused { get; set; }

    /// <summary>Whether EPSV has worked on this connection, so it may go out together with the transfer command.</summary>
    public bool EpsvWorks { get; set; }

    /// <summary>Whether EPRT failed once, so PORT is used directly.</summary>
    public bool EprtRefused { get; set; }

    /// <summary>Connects, secures and logs in: greeting, AUTH TLS, USER/PASS, FEAT, OPTS UTF8 ON, TYPE I, PBSZ 0/PROT P.</summary>
    public static async Task<FtpControlConnection> OpenAsync(FtpSettings settings, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var deadline = new FtpDeadline(settings.ConnectTimeout, settings.Time, cancellationToken))
            {
                try
                {
                    await socket.ConnectAsync(settings.Host, settings.Port, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (deadline.Expired)
                {
                    throw new RemoteFsException(RemoteErrorKind.Timeout, $"Connecting did not succeed within {settings.ConnectTimeout}", endpoint: settings.Endpoint);
                }
                catch (SocketException ex)
                {
                    throw FtpErrors.FromNetwork(ex, "Connecting", null, settings.Endpoint);
                }
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new FtpControlConnection(settings, socket);
        try
        {
            await connection.StartAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_settings.Tls == FtpTlsMode.Implicit)
            await SecureAsync(cancellationToken).ConfigureAwait(false);
        var greeting = await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
        while (greeting.IsPreliminary) // 120: ready in a few minutes
            greeting = await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
        if (!greeting.IsSuccess)
            throw FtpErrors.FromReply(greeting, "Connecting", null, _settings.Endpoint);
        if (_settings.Tls == FtpTlsMode.Explicit)
        {
            var auth = await ExecuteAsync("AUTH TLS", cancellationToken).ConfigureAwait(false);
            if (auth.Code != 234)
                throw new RemoteFsException(auth.IsSuccess ? RemoteErrorKind.Protocol : RemoteErrorKind.NotSupported,
                    $"The server refused explicit TLS: AUTH TLS was answered '{FtpReplyReader.Quote(auth.ToString())}'", endpoint: _settings.Endpoint);
            await SecureAsync(cancellationToken).ConfigureAwait(false);
        }
        await LoginAsync(cancellationToken).ConfigureAwait(false);

        var feat = await ExecuteAsync("FEAT", cancellationToken).ConfigureAwait(false);
        Features = feat.Code == 211 ? FtpFeatures.Parse(feat) : FtpFeatures.None;
        if (Features.Utf8)
            await ExecuteAsync("OPTS UTF8 ON", cancellationToken).ConfigureAwait(false); // a refusal changes nothing: names stay UTF-8
        await ExpectAsync("TYPE I", "Switching to binary mode", cancellationToken).ConfigureAwait(false);
        if (_settings.Tls != FtpTlsMode.None)
        {
            await ExpectAsync("PBSZ 0", "Setting the TLS buffer size", cancellationToken).ConfigureAwait(false);
            await ExpectAsync("PROT P", "Protecting data connections", cancellationToken).ConfigureAwait(false);
            ProtectsData = true;
        }
    }

    private async Task SecureAsync(CancellationToken cancellationToken)
    {
        if (_reader.HasBufferedData)
            throw new RemoteFsException(RemoteErrorKind.Protocol, "The server sent data before the TLS handshake", endpoint: _settings.Endpoint);
        var policy = new FtpCertificatePolicy(_settings.PinnedThumbprint);
        _tlsName = FtpTlsSessionNames.Acquire(_settings.TlsServerName);
        SslStream ssl = await FtpTls.AuthenticateAsync(_stream, _settings, _tlsName, policy, "Securing the control connection", cancellationToken).ConfigureAwait(false);
        ServerThumbprint = policy.AcceptedThumbprint;
        _stream = ssl;
        _reader = new FtpReplyReader(ssl, _settings.Encoding);
    }

    private async Task LoginAsync(CancellationToken cancellationToken)
    {
        var user = await ExecuteAsync("USER " + _settings.UserName, cancellationToken).ConfigureAwait(false);
        if (user.Code == 331 || user.Code == 332)
        {
            var pass = await ExecuteAsync("PASS " + _settings.Password, cancellationToken, secret: true).ConfigureAwait(false);
            if (pass.IsSuccess) return;
            if (pass.Code == 332)
                throw new RemoteFsException(RemoteErrorKind.NotSupported, "The server asks for an account (ACCT), which this client does not send", endpoint: _settings.Endpoint);
            throw LoginFailed(pass);
        }
        if (!user.IsSuccess)
            throw LoginFailed(user);
    }

    private RemoteFsException LoginFailed(FtpReply reply)
    {
        var kind = FtpErrors.KindOf(reply);
        if (reply.Code is 530 or 430) kind = RemoteErrorKind.Authentication;
        return new RemoteFsException(kind, $"Logging in as '{_settings.UserName}' failed: the server replied '{FtpReplyReader.Quote(reply.ToString())}'", endpoint: _settings.Endpoint);
    }

    /// <summary>Sends a command that must succeed (2yz).</summary>
    public async Task<FtpReply> ExpectAsync(string command, string operation, CancellationToken cancellationToken, string? path = null)
    {
        var reply = await ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
        if (!reply.IsSuccess)
            throw FtpErrors.FromReply(reply, operation, path, _settings.Endpoint);
        return reply;
    }

    /// <summary>Sends a command and reads its reply.</summary>
    public async Task<FtpReply> ExecuteAsync(string command, CancellationToken cancellationToken, bool secret = false)
    {
        await SendAsync(command, cancellationToken, secret).ConfigureAwait(false);
        return await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends one command line.</summary>
    /// <exception cref="RemoteFsException">The command holds a line break (<see cref="RemoteErrorKind.NotSupported"/>), or the connection failed.</exception>
    public Task SendAsync(string command, CancellationToken cancellationToken, bool secret = false) =>
        SendLinesAsync([command], cancellationToken, secret);

    /// <summary>
    /// Sends several command lines in one write (pipelining): the caller then reads one reply per command, in order.
    /// Only for commands whose replies may be checked afterwards without harm.
    /// </summary>
    /// <exception cref="RemoteFsException">A command holds a line break (<see cref="RemoteErrorKind.NotSupported"/>), or the connection failed.</exception>
    public Task SendAsync(IReadOnlyList<string> commands, CancellationToken cancellationToken) =>
        SendLinesAsync(commands, cancellationToken, secret: false);

    private async Task SendLinesAsync(IReadOnlyList<string> commands, CancellationToken cancellationToken, bool secret)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var command in commands)
        {
            if (command.AsSpan().IndexOfAny('\r', '\n') >= 0)
                throw new RemoteFsException(RemoteErrorKind.NotSupported, "A name with a line break cannot be sent over FTP", endpoint: _settings.Endpoint);
        }
        if (IsBroken)
            throw new RemoteFsException(RemoteErrorKind.Transient, "The control connection is no longer usable", endpoint: _settings.Endpoint);
        foreach (var command in commands)
            _settings.Trace?.Invoke("> " + (secret ? command.Split(' ')[0] + " ***" : command));
        var bytes = _settings.Encoding.GetBytes(commands.Count == 1 ? commands[0] + "\r\n" : string.Concat(commands.Select(c => c + "\r\n")));
        using var deadline = new FtpDeadline(_settings.OperationTimeout, _settings.Time, cancellationToken);
        try
        {
            await _stream.WriteAsync(bytes, deadline.Token).ConfigureAwait(false);
            await _stream.FlushAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            IsBroken = true;
            var verb = commands[0].Split(' ')[0];
            if (deadline.Expired)
                throw new RemoteFsException(RemoteErrorKind.Timeout, $"Sending {verb} did not finish within {_settings.OperationTimeout}", endpoint: _settings.Endpoint, innerException: ex);
            cancellationToken.ThrowIfCancellationRequested();
            throw FtpErrors.FromNetwork(ex, "Sending " + verb, null, _settings.Endpoint);
        }
    }

    /// <summary>Reads one reply under the operation time limit.</summary>
    public Task<FtpReply> ReadReplyAsync(CancellationToken cancellationToken) => ReadReplyAsync(_settings.OperationTimeout, cancellationToken);

    /// <summary>Reads one reply under the given time limit.</summary>
    public async Task<FtpReply> ReadReplyAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var deadline = new FtpDeadline(limit, _settings.Time, cancellationToken);
        try
        {
            var reply = await _reader.ReadAsync(deadline.Token).ConfigureAwait(false);
            foreach (var line in reply.Lines) _settings.Trace?.Invoke("< " + line);
            LastUsed = _settings.Time.GetUtcNow();
            if (reply.Code == 421) IsBroken = true; // the server is closing the connection
            return reply;
        }
        catch (RemoteFsException)
        {
            IsBroken = true;
            throw;
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            IsBroken = true;
            if (deadline.Expired)
                throw new RemoteFsException(RemoteErrorKind.Timeout, $"The server did not reply within {limit}", endpoint: _settings.Endpoint, innerException: ex);
            cancellationToken.ThrowIfCancellationRequested();
            throw FtpErrors.FromNetwork(ex, "Reading the server's reply", null, _settings.Endpoint);
        }
    }

    /// <summary>Marks the connection as out of step, so that it is closed instead of reused.</summary>
    public void MarkBroken() => IsBroken = true;

    /// <summary>Whether the connection still answers: a NOOP within a short time.</summary>
    public async Task<bool> IsAliveAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        if (IsBroken || _disposed) return false;
        try
        {
            await SendAsync("NOOP", cancellationToken).ConfigureAwait(false);
            var reply = await ReadReplyAsync(limit, cancellationToken).ConfigureAwait(false);
            return reply.IsSuccess && !IsBroken;
        }
        catch (RemoteFsException)
        {
            return false;
        }
    }

    /// <summary>Wraps a data connection's socket in TLS when PROT P is in force, resuming this connection's TLS session.</summary>
    public async Task<Stream> SecureDataAsync(Socket dataSocket, string operation, CancellationToken cancellationToken)
    {
        var network = new FtpSocketStream(dataSocket, patient: true);
        if (!ProtectsData) return network;
        var policy = new FtpCertificatePolicy(_settings.PinnedThumbprint, ServerThumbprint);
        return await FtpTls.AuthenticateAsync(network, _settings, _tlsName ?? _settings.TlsServerName, policy, operation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Says QUIT when the connection is healthy, then closes it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        if (!IsBroken)
        {
            try
            {
                await SendAsync("QUIT", CancellationToken.None).ConfigureAwait(false);
                await ReadReplyAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
            }
            catch (RemoteFsException)
            {
            }
        }
        _disposed = true;
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
        }
        _socket.Dispose();
        if (_tlsName is not null) FtpTlsSessionNames.Release(_tlsName);
    }
}
