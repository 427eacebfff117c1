using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// One data connection and the transfer command it carries (RETR, STOR, APPE, LIST, MLSD): set up passively
/// (EPSV, then PASV) or actively (EPRT, then PORT), optionally restarted (REST), encrypted when PROT P is in force.
/// The transfer ends with <see cref="CompleteAsync"/> (the server's final reply must be positive) or
/// <see cref="AbortAsync"/>.
/// </summary>
internal sealed class FtpDataConnection : IAsyncDisposable
{
    private readonly FtpControlConnection _control;
    private readonly Stream _stream;
    private readonly string _operation;
    private readonly string? _path;
    private readonly FtpTransferDeadline _deadline;
    private FtpReply? _finalReply;
    private bool _closed;

    private FtpDataConnection(FtpControlConnection control, Stream stream, string operation, string? path, FtpReply? finalReply, FtpReply? prefaceReply)
    {
        _control = control;
        _stream = stream;
        _operation = operation;
        _path = path;
        _finalReply = finalReply;
        PrefaceReply = prefaceReply;
        _deadline = new FtpTransferDeadline(control.Settings.OperationTimeout, control.Settings.Time);
    }

    /// <summary>The data; reads and writes run under the operation time limit through <see cref="ReadAsync"/> and <see cref="WriteAsync"/>.</summary>
    public Stream Stream => _stream;

    /// <summary>The reply to the preface command given to <see cref="OpenAsync"/>, or null when there was none.</summary>
    public FtpReply? PrefaceReply { get; }

    /// <summary>Opens a data connection and starts <paramref name="command"/> on it.</summary>
    /// <param name="control">The control connection, which stays busy until the transfer ends.</param>
    /// <param name="command">The transfer command, for example <c>RETR /a.txt</c>.</param>
    /// <param name="restartAt">The offset to restart from (REST), or 0.</param>
    /// <param name="operation">What is being done, for messages.</param>
    /// <param name="path">The path concerned, for messages.</param>
    /// <param name="cancellationToken">Cancels the setup.</param>
    /// <param name="preface">
    /// A command whose reply the caller checks once the transfer has started (<see cref="PrefaceReply"/>), for example
    /// <c>SIZE</c>; sent first, and together with the others when pipelining. Its reply must not change what the
    /// transfer command does.
    /// </param>
    /// <remarks>
    /// With <see cref="FtpSettings.Pipelining"/>, in passive mode, without a restart offset and once EPSV has worked on
    /// this connection, the preface, EPSV and the transfer command go out in one packet: the server answers EPSV,
    /// this client connects, and the server answers the transfer command when it has taken the connection. Otherwise
    /// each command waits for its reply.
    /// </remarks>
    public static async Task<FtpDataConnection> OpenAsync(FtpControlConnection control, string command, long restartAt, string operation, string? path,
        CancellationToken cancellationToken, string? preface = null)
    {
        var settings = control.Settings;
        if (settings.Pipelining && settings.DataMode == FtpDataMode.Passive && control.EpsvWorks && restartAt == 0)
            return await OpenPipelinedAsync(control, command, operation, path, preface, cancellationToken).ConfigureAwait(false);
        var prefaceReply = preface is null ? null : await control.ExecuteAsync(preface, cancellationToken).ConfigureAwait(false);
        Socket? socket = null;
        Socket? listener = null;
        try
        {
            if (settings.DataMode == FtpDataMode.Passive)
            {
                var target = await EnterPassiveModeAsync(control, operation, path, cancellationToken).ConfigureAwait(false);
                socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await ConnectAsync(socket, target, settings, operation, path, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                listener = await ListenAsync(control, operation, path, cancellationToken).ConfigureAwait(false);
            }

            if (restartAt > 0)
            {
                var rest = await control.ExecuteAsync("REST " + restartAt.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
                if (rest.Code != 350)
                    throw new RemoteFsException(rest.IsSuccess ? RemoteErrorKind.Protocol : RemoteErrorKind.NotSupported,
                        $"{operation} failed: the server cannot restart at an offset (REST was answered '{FtpReplyReader.Quote(rest.ToString())}')", path, settings.Endpoint);
            }

            var reply = await control.ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
            if (listener is not null && reply.IsPreliminary)
                socket = await AcceptAsync(listener, control, operation, path, cancellationToken).ConfigureAwait(false);
            var started = await StartAsync(control, socket, reply, operation, path, prefaceReply, cancellationToken).ConfigureAwait(false);
            socket = null; // the data connection owns it now
            return started;
        }
        catch
        {
            socket?.Dispose();
            throw;
        }
        finally
        {
            listener?.Dispose();
        }
    }

    private static async Task<FtpDataConnection> OpenPipelinedAsync(FtpControlConnection control, string command, string operation, string? path, string? preface, CancellationToken cancellationToken)
    {
        var settings = control.Settings;
        await control.SendAsync(preface is null ? ["EPSV", command] : [preface, "EPSV", command], cancellationToken).ConfigureAwait(false);
        var prefaceReply = preface is null ? null : await control.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
        var epsv = await control.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
        if (epsv.Code != 229)
        {
            // The transfer command went out without a data port: its reply cannot be trusted to keep the connection in step.
            control.MarkBroken();
            throw FtpErrors.FromReply(epsv, operation, path, settings.Endpoint);
        }
        var target = new IPEndPoint(control.RemoteAddress, FtpPassiveAddress.ParseEpsv(epsv));
        Socket? socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            try
            {
                await ConnectAsync(socket, target, settings, operation, path, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                control.MarkBroken(); // the server waits for a connection that will not come
                throw;
            }
            var reply = await control.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
            var started = await StartAsync(control, socket, reply, operation, path, prefaceReply, cancellationToken).ConfigureAwait(false);
            socket = null;
            return started;
        }
        catch
        {
            socket?.Dispose();
            throw;
        }
    }

    // The transfer command was answered: a refusal, an immediate end (an empty transfer), or 1yz and the data flows.
    private static async Task<FtpDataConnection> StartAsync(FtpControlConnection control, Socket? socket, FtpReply reply, string operation, string? path, FtpReply? prefaceReply, CancellationToken cancellationToken)
    {
        if (reply.IsSuccess)
        {
            // Some servers answer an empty transfer with its final reply at once and never use the connection.
            socket?.Dispose();
            return new FtpDataConnection(control, Stream.Null, operation, path, reply, prefaceReply);
        }
        if (!reply.IsPreliminary)
        {
            socket?.Dispose();
            throw FtpErrors.FromReply(reply, operation, path, control.Settings.Endpoint);
        }
        socket!.NoDelay = false;
        Stream stream;
        try
        {
            stream = await control.SecureDataAsync(socket, operation, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            control.MarkBroken(); // the failed stream owned and closed the socket
            throw;
        }
        return new FtpDataConnection(control, stream, operation, path, null, prefaceReply);
    }

    private static async Task<IPEndPoint> EnterPassiveModeAsync(FtpControlConnection control, string operation, string? path, CancellationToken cancellationToken)
    {
        if (!control.EpsvRefused)
        {
            var epsv = await control.ExecuteAsync("EPSV", cancellationToken).ConfigureAwait(false);
            if (epsv.Code == 229)
            {
                control.EpsvWorks = true;
                return new IPEndPoint(control.RemoteAddress, FtpPassiveAddress.ParseEpsv(epsv));
            }
            if (epsv.Code is not (500 or 501 or 502 or 504 or 522))
                throw FtpErrors.FromReply(epsv, operation, path, control.Settings.Endpoint);
            control.EpsvRefused = true;
        }
        var pasv = await control.ExecuteAsync("PASV", cancellationToken).ConfigureAwait(false);
        if (pasv.Code != 227)
            throw FtpErrors.FromReply(pasv, operation, path, control.Settings.Endpoint);
        var announced = FtpPassiveAddress.ParsePasv(pasv);
        return new IPEndPoint(FtpPassiveAddress.Choose(announced.Address, control.RemoteAddress), announced.Port);
    }

    private static async Task ConnectAsync(Socket socket, IPEndPoint target, FtpSettings settings, string operation, string? path, CancellationToken cancellationToken)
    {
        using var deadline = new FtpDeadline(settings.ConnectTimeout, settings.Time, cancellationToken);
        try
        {
            await FtpSocketStream.ConnectAsync(socket, target, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (deadline.Expired)
        {
            throw new RemoteFsException(RemoteErrorKind.Timeout, $"{operation} failed: the data connection to {target} did not open within {settings.ConnectTimeout}", path, settings.Endpoint, ex);
        }
        catch (SocketException ex)
        {
            throw new RemoteFsException(RemoteErrorKind.Transient, $"{operation} failed: the data connection to {target} could not be opened ({ex.Message})", path, settings.Endpoint, ex);
        }
    }

    private static async Task<Socket> ListenAsync(FtpControlConnection control, string operation, string? path, CancellationToken cancellationToken)
    {
        var local = control.LocalAddress;
        var listener = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(local, 0));
            listener.Listen(1);
            var endPoint = (IPEndPoint)listener.LocalEndPoint!;
            if (!control.EprtRefused)
            {
                var eprt = await control.ExecuteAsync("EPRT " + FtpPassiveAddress.EprtArgument(endPoint), cancellationToken).ConfigureAwait(false);
                if (eprt.IsSuccess) return listener;
                if (eprt.Code is not (500 or 501 or 502 or 504 or 522) || local.AddressFamily != AddressFamily.InterNetwork)
                    throw FtpErrors.FromReply(eprt, operation, path, control.Settings.Endpoint);
                control.EprtRefused = true;
            }
            var port = await control.ExecuteAsync("PORT " + FtpPassiveAddress.PortArgument(endPoint), cancellationToken).ConfigureAwait(false);
            if (!port.IsSuccess)
                throw FtpErrors.FromReply(port, operation, path, control.Settings.Endpoint);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private static async Task<Socket> AcceptAsync(Socket listener, FtpControlConnection control, string operation, string? path, CancellationToken cancellationToken)
    {
        var settings = control.Settings;
        using var deadline = new FtpDeadline(settings.ConnectTimeout, settings.Time, cancellationToken);
        Socket socket;
        try
        {
            socket = await listener.AcceptAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            control.MarkBroken();
            if (deadline.Expired)
                throw new RemoteFsException(RemoteErrorKind.Timeout, $"{operation} failed: the server did not open the active data connection within {settings.ConnectTimeout}", path, settings.Endpoint, ex);
            cancellationToken.ThrowIfCancellationRequested();
            throw new RemoteFsException(RemoteErrorKind.Transient, $"{operation} failed: the active data connection failed ({ex.Message})", path, settings.Endpoint, ex);
        }
        var peer = ((IPEndPoint)socket.RemoteEndPoint!).Address;
        if (peer.IsIPv4MappedToIPv6) peer = peer.MapToIPv4();
        if (!peer.Equals(control.RemoteAddress))
        {
            // Someone other than the server connected first: never take data from (or give data to) a stranger.
            socket.Dispose();
            control.MarkBroken();
            throw new RemoteFsException(RemoteErrorKind.Protocol, $"{operation} failed: the active data connection came from {peer}, not from the server {control.RemoteAddress}", path, settings.Endpoint);
        }
        return socket;
    }

    /// <summary>Reads from the data connection under the operation time limit; 0 at the end of the data.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var settings = _control.Settings;
        var token = _deadline.Arm();
        var link = cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(static s => ((FtpTransferDeadline)s!).Cancel(), _deadline) : default;
        try
        {
            return await _stream.ReadAsync(buffer, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _control.MarkBroken();
            if (_deadline.Expired(cancellationToken))
                throw new RemoteFsException(RemoteErrorKind.Timeout, $"{_operation} failed: no data arrived within {settings.OperationTimeout}", _path, settings.Endpoint, ex);
            cancellationToken.ThrowIfCancellationRequested();
            throw FtpErrors.FromNetwork(ex, _operation, _path, settings.Endpoint);
        }
        finally
        {
            _deadline.Disarm();
            link.Dispose();
        }
    }

    /// <summary>Writes to the data connection under the operation time limit.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        var settings = _control.Settings;
        var token = _deadline.Arm();
        var link = cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(static s => ((FtpTransferDeadline)s!).Cancel(), _deadline) : default;
        try
        {
            await _stream.WriteAsync(buffer, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _control.MarkBroken();
            if (_deadline.Expired(cancellationToken))
                throw new RemoteFsException(RemoteErrorKind.Timeout, $"{_operation} failed: the server took no data for {settings.OperationTimeout}", _path, settings.Endpoint, ex);
            cancellationToken.ThrowIfCancellationRequested();
            throw await FailureAsync(ex).ConfigureAwait(false);
        }
        finally
        {
            _deadline.Disarm();
            link.Dispose();
        }
    }

    // A write fails when the server dropped the data connection; its reason (552 quota, 426 aborted) is on the control connection.
    private async Task<RemoteFsException> FailureAsync(Exception ex)
    {
        var settings = _control.Settings;
        await CloseAsync(graceful: false).ConfigureAwait(false);
        try
        {
            var reply = await _control.ReadReplyAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            _control.MarkBroken();
            if (!reply.IsSuccess)
                return FtpErrors.FromReply(reply, _operation, _path, settings.Endpoint);
        }
        catch (RemoteFsException)
        {
        }
        return FtpErrors.FromNetwork(ex, _operation, _path, settings.Endpoint);
    }

    /// <summary>Ends a transfer that ran to its end: closes the data connection (TLS close_notify first) and checks the server's final reply.</summary>
    /// <exception cref="RemoteFsException">The server reported a failure (552 quota, 426 aborted, …) or the control connection broke.</exception>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await CloseAsync(graceful: true).ConfigureAwait(false);
        var reply = _finalReply ?? await _control.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
        _finalReply = reply;
        if (!reply.IsSuccess)
            throw FtpErrors.FromReply(reply, _operation, _path, _control.Settings.Endpoint);
    }

    /// <summary>
    /// Ends a transfer early: closes the data connection and takes the server's reply (426 or 226) so that the
    /// control connection stays in step; when that reply does not come, the control connection is marked broken.
    /// </summary>
    public async Task AbortAsync()
    {
        await CloseAsync(graceful: false).ConfigureAwait(false);
        if (_finalReply is not null || _control.IsBroken) return;
        try
        {
            _finalReply = await _control.ReadReplyAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
        }
        catch (RemoteFsException)
        {
            _control.MarkBroken();
        }
    }

    private async Task CloseAsync(bool graceful)
    {
        if (_closed) return;
        _closed = true;
        try
        {
            if (graceful && _stream is SslStream ssl)
            {
                using var deadline = new FtpDeadline(TimeSpan.FromSeconds(10), _control.Settings.Time, CancellationToken.None);
                await ssl.ShutdownAsync().WaitAsync(deadline.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
        }
        _deadline.Dispose();
    }

    /// <summary>Aborts the transfer unless it was completed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_finalReply is null) await AbortAsync().ConfigureAwait(false);
        else await CloseAsync(graceful: false).ConfigureAwait(false);
    }
}
