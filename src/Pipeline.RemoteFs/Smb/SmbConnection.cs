using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.RemoteFs.Smb;

/// <summary>
/// One TCP connection to an SMB2/3 server carrying one authenticated session and one tree (share). Requests are
/// multiplexed: any number of callers may send at once, each waiting for its own message id, limited only by the
/// credits the server grants. A background loop reads responses, decrypts and verifies them, and completes the
/// waiting request. Any transport failure, timeout or bad signature breaks the connection; the pool opens a new one.
/// </summary>
internal sealed class SmbConnection : IAsyncDisposable
{
    private const uint CapLargeMtu = 0x4, CapEncryption = 0x40;
    private const ushort SigningEnabled = 1, SigningRequired = 2;
    private const ushort SessionFlagGuest = 1, SessionFlagNull = 2, SessionFlagEncrypt = 4;
    private const uint ShareFlagEncrypt = 0x8000;

    private readonly SmbSettings _settings;
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<ulong, Pending> _pending = new();
    private readonly object _creditLock = new();
    private readonly LinkedList<(int Count, TaskCompletionSource Ready)> _creditWaiters = new();
    private readonly CancellationTokenSource _closing = new();
    private long _credits = 1;
    private ulong _nextMessageId;
    private Task? _receiveLoop;
    private Exception? _broken;
    private byte[] _preauthHash = new byte[64];
    private SmbSigner? _signer;
    private SmbEncryptor? _encryptor;
    private bool _encrypt;
    private bool _signingRequiredByServer;
    private SmbCipher _cipher;
    private SmbSigningAlgorithm _signingAlgorithm;
    private byte[] _offer = [];
    private SmbDialect[] _offeredDialects = [];
    private (uint Capabilities, byte[] Guid, ushort SecurityMode) _serverAnswer;

    private SmbConnection(SmbSettings settings, TcpClient tcp)
    {
        _settings = settings;
        _tcp = tcp;
        _stream = tcp.GetStream();
        LastUsed = settings.Time.GetUtcNow();
    }

    public SmbDialect Dialect { get; private set; }
    public ulong SessionId { get; private set; }
    public uint TreeId { get; private set; }
    public bool IsSigned => _signer is not null && !_encrypt;
    public bool IsEncrypted => _encrypt;
    public SmbCipher Cipher => _encrypt ? _cipher : SmbCipher.None;
    public SmbSigningAlgorithm SigningAlgorithm => _signingAlgorithm;
    public bool LargeMtu { get; private set; }
    public int MaxReadSize { get; private set; } = 65536;
    public int MaxWriteSize { get; private set; } = 65536;
    public int MaxTransactSize { get; private set; } = 65536;
    public bool IsBroken => _broken is not null;
    public DateTimeOffset LastUsed { get; private set; }
    public SmbSettings Settings => _settings;

    /// <summary>Connects, negotiates, authenticates and connects the share.</summary>
    public static async Task<SmbConnection> OpenAsync(SmbSettings settings, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(settings.ConnectTimeout, settings.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var tcp = new TcpClient { NoDelay = true, ReceiveBufferSize = 4 << 20, SendBufferSize = 4 << 20 };
        try
        {
            await tcp.ConnectAsync(settings.Host, settings.Port, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new SmbConnectionException($"Connecting to {settings.Host}:{settings.Port} timed out after {settings.ConnectTimeout.TotalSeconds:0} s", timeout: true);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        var connection = new SmbConnection(settings, tcp);
        try
        {
            connection._receiveLoop = Task.Run(connection.ReceiveLoopAsync);
            await connection.NegotiateAsync(linked.Token).ConfigureAwait(false);
            await connection.SessionSetupAsync(linked.Token).ConfigureAwait(false);
            await connection.TreeConnectAsync(linked.Token).ConfigureAwait(false);
            return connection;
        }
        catch (Exception ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                throw new SmbConnectionException($"Setting up the SMB session with {settings.Host}:{settings.Port} timed out after {settings.ConnectTimeout.TotalSeconds:0} s", ex, timeout: true);
            throw;
        }
    }

    // ---- NEGOTIATE -------------------------------------------------------------------------------------------

    private async Task NegotiateAsync(CancellationToken cancellationToken)
    {
        var dialects = Enum.GetValues<SmbDialect>().Where(d => d >= _settings.MinDialect && d <= _settings.MaxDialect).ToArray();
        var with311 = dialects.Contains(SmbDialect.Smb311);
        var body = new List<byte>();
        var fixedPart = new byte[36];
        BinaryPrimitives.WriteUInt16LittleEndian(fixedPart, 36);
        BinaryPrimitives.WriteUInt16LittleEndian(fixedPart.AsSpan(2), (ushort)dialects.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(fixedPart.AsSpan(4), (ushort)(SigningEnabled | (_settings.RequireSigning ? SigningRequired : 0)));
        BinaryPrimitives.WriteUInt32LittleEndian(fixedPart.AsSpan(8), CapLargeMtu | CapEncryption);
        Guid.NewGuid().TryWriteBytes(fixedPart.AsSpan(12));
        _offer = fixedPart.AsSpan(4, 24).ToArray(); // security mode, reserved, capabilities, client GUID
        _offeredDialects = dialects;
        body.AddRange(fixedPart);
        foreach (var d in dialects) body.AddRange(BitConverter.GetBytes((ushort)d));
        if (with311)
        {
            while ((SmbHeader.Size + body.Count) % 8 != 0) body.Add(0);
            var contextOffset = SmbHeader.Size + body.Count;
            var contexts = new List<(ushort Type, byte[] Data)>();
            var preauth = new byte[38];
            BinaryPrimitives.WriteUInt16LittleEndian(preauth, 1);
            BinaryPrimitives.WriteUInt16LittleEndian(preauth.AsSpan(2), 32);
            BinaryPrimitives.WriteUInt16LittleEndian(preauth.AsSpan(4), 1); // SHA-512
            RandomNumberGenerator.Fill(preauth.AsSpan(6));
            contexts.Add((1, preauth));
            // Servers choose by their own preference (Samba: AES-128 first), so asking for AES-256 offers only AES-256.
            SmbCipher[] ciphers = _settings.PreferAes256
                ? [SmbCipher.Aes256Gcm, SmbCipher.Aes256Ccm]
                : [SmbCipher.Aes128Gcm, SmbCipher.Aes128Ccm, SmbCipher.Aes256Gcm, SmbCipher.Aes256Ccm];
            var encryption = new byte[2 + ciphers.Length * 2];
            BinaryPrimitives.WriteUInt16LittleEndian(encryption, (ushort)ciphers.Length);
            for (var i = 0; i < ciphers.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(encryption.AsSpan(2 + i * 2), (ushort)ciphers[i]);
            contexts.Add((2, encryption));
            contexts.Add((8, [3, 0, 2, 0, 1, 0, 0, 0])); // signing: AES-GMAC, AES-CMAC, HMAC-SHA256
            for (var i = 0; i < contexts.Count; i++)
            {
                if (i > 0) while (body.Count % 8 != 0) body.Add(0);
                var (type, data) = contexts[i];
                body.AddRange(BitConverter.GetBytes(type));
                body.AddRange(BitConverter.GetBytes((ushort)data.Length));
                body.AddRange(new byte[4]);
                body.AddRange(data);
            }
            var bodyArray0 = body.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(bodyArray0.AsSpan(28), (uint)contextOffset);
            BinaryPrimitives.WriteUInt16LittleEndian(bodyArray0.AsSpan(32), (ushort)contexts.Count);
            body = [.. bodyArray0];
        }
        var request = NewRequest(body.Count);
        body.ToArray().CopyTo(request, SmbHeader.Size);
        var response = await SendAsync(SmbCommand.Negotiate, request, 0, cancellationToken).ConfigureAwait(false);
        response.Require(64);
        var b = response.Body;
        Dialect = (SmbDialect)BinaryPrimitives.ReadUInt16LittleEndian(b[4..]);
        if (!dialects.Contains(Dialect))
            throw new SmbProtocolException($"The server chose dialect 0x{(ushort)Dialect:X4}, which this client did not offer.");
        var securityMode = BinaryPrimitives.ReadUInt16LittleEndian(b[2..]);
        _signingRequiredByServer = (securityMode & SigningRequired) != 0;
        var capabilities = BinaryPrimitives.ReadUInt32LittleEndian(b[24..]);
        _serverAnswer = (capabilities, b.Slice(8, 16).ToArray(), securityMode);
        LargeMtu = Dialect >= SmbDialect.Smb210 && (capabilities & CapLargeMtu) != 0;
        var cap = LargeMtu ? _settings.MaxIoSize : 65536;
        MaxTransactSize = (int)Math.Clamp(BinaryPrimitives.ReadUInt32LittleEndian(b[28..]), 4096u, (uint)cap);
        MaxReadSize = (int)Math.Clamp(BinaryPrimitives.ReadUInt32LittleEndian(b[32..]), 4096u, (uint)cap);
        MaxWriteSize = (int)Math.Clamp(BinaryPrimitives.ReadUInt32LittleEndian(b[36..]), 4096u, (uint)cap);
        var securityOffset = BinaryPrimitives.ReadUInt16LittleEndian(b[56..]);
        var securityLength = BinaryPrimitives.ReadUInt16LittleEndian(b[58..]);
        var serverToken = response.Slice(securityOffset, securityLength, "security buffer");
        if (!Spnego.OffersNtlm(serverToken))
            throw new SmbStatusException(SmbStatus.NotSupported, "Session setup", Spnego.OffersKerberos(serverToken)
                ? "the server offers only Kerberos, which this client does not support; NTLMv2 is needed"
                : "the server offers no NTLM authentication");
        _signingAlgorithm = Dialect switch
        {
            SmbDialect.Smb202 or SmbDialect.Smb210 => SmbSigningAlgorithm.HmacSha256,
            _ => SmbSigningAlgorithm.AesCmac,
        };
        _cipher = Dialect is SmbDialect.Smb300 or SmbDialect.Smb302 && (capabilities & CapEncryption) != 0 ? SmbCipher.Aes128Ccm : SmbCipher.None;
        if (Dialect == SmbDialect.Smb311)
        {
            var count = BinaryPrimitives.ReadUInt16LittleEndian(b[6..]);
            var offset = (int)BinaryPrimitives.ReadUInt32LittleEndian(b[60..]);
            for (var i = 0; i < count; i++)
            {
                var head = response.Slice(offset, 8, "negotiate context");
                var type = BinaryPrimitives.ReadUInt16LittleEndian(head);
                var length = BinaryPrimitives.ReadUInt16LittleEndian(head[2..]);
                var data = response.Slice(offset + 8, length, "negotiate context");
                if (type == 2 && data.Length >= 4 && BinaryPrimitives.ReadUInt16LittleEndian(data) == 1)
                    _cipher = (SmbCipher)BinaryPrimitives.ReadUInt16LittleEndian(data[2..]);
                if (type == 8 && data.Length >= 4 && BinaryPrimitives.ReadUInt16LittleEndian(data) == 1)
                    _signingAlgorithm = (SmbSigningAlgorithm)BinaryPrimitives.ReadUInt16LittleEndian(data[2..]);
                if (type == 1 && data.Length >= 6 && BinaryPrimitives.ReadUInt16LittleEndian(data[4..]) != 1)
                    throw new SmbProtocolException("The server chose a pre-authentication integrity hash other than SHA-512.");
                offset = (offset + 8 + length + 7) & ~7;
            }
            if (!Enum.IsDefined(_cipher)) throw new SmbProtocolException($"The server chose an unknown cipher {(ushort)_cipher}.");
            if (!Enum.IsDefined(_signingAlgorithm)) throw new SmbProtocolException($"The server chose an unknown signing algorithm {(ushort)_signingAlgorithm}.");
            UpdatePreauth(request); // SendAsync filled its header in place
            UpdatePreauth(response.Message);
        }
    }

    private void UpdatePreauth(ReadOnlySpan<byte> message)
    {
        var input = new byte[64 + message.Length];
        _preauthHash.CopyTo(input, 0);
        message.CopyTo(input.AsSpan(64));
        _preauthHash = SHA512.HashData(input);
    }

    // ---- SESSION_SETUP ----------------------------------------------------------------------------------------

    private async Task SessionSetupAsync(CancellationToken cancellationToken)
    {
        var ntlm = new NtlmClient(_settings.UserName, _settings.Domain, _settings.Password, Environment.MachineName.ToUpperInvariant());
        var token = Spnego.InitToken(ntlm.CreateNegotiate());
        var first = await SessionSetupStepAsync(token, cancellationToken).ConfigureAwait(false);
        if (first.Status != SmbStatus.MoreProcessingRequired)
            throw new SmbStatusException(first.Status == SmbStatus.Success ? SmbStatus.LogonFailure : first.Status, "Session setup");
        SessionId = first.SessionId;
        var (_, challenge) = Spnego.ParseResponse(SecurityBuffer(first));
        if (challenge is null) throw new SmbProtocolException("The server's SESSION_SETUP response carries no NTLM CHALLENGE.");
        var authenticate = ntlm.CreateAuthenticate(challenge);
        var mic = ntlm.SignMechList(Spnego.MechTypeList);
        var second = await SessionSetupStepAsync(Spnego.ResponseToken(authenticate, mic), cancellationToken).ConfigureAwait(false);
        if (second.Status != SmbStatus.Success)
            throw new SmbStatusException(second.Status, "Session setup");
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(second.Body[2..]);
        if ((flags & (SessionFlagGuest | SessionFlagNull)) != 0 && !_settings.AllowGuest)
            throw new SmbStatusException(SmbStatus.LogonFailure, "Session setup", "the server accepted the session only as guest or anonymous, which this client refuses unless the setting guest=true asks for it");
        var sessionKey = ntlm.SessionKey!;
        if ((flags & (SessionFlagGuest | SessionFlagNull)) == 0)
        {
            var (signing, encrypt, decrypt) = SmbKeys.Derive(Dialect, sessionKey, _preauthHash, _cipher);
            _signer = new SmbSigner(_signingAlgorithm, signing);
            if (_cipher != SmbCipher.None) _encryptor = new SmbEncryptor(_cipher, encrypt, decrypt);
            // The final SESSION_SETUP response is signed when signing is in force; verify it now that the key is known.
            if ((second.Flags & SmbHeader.FlagSigned) != 0 && !_signer.Verify(second.Message))
                throw new SmbProtocolException("The server's final SESSION_SETUP response has a signature that does not verify (a wrong key, or tampering).");
            if ((second.Flags & SmbHeader.FlagSigned) == 0 && (Dialect == SmbDialect.Smb311 || _signingRequiredByServer || _settings.RequireSigning) && (flags & SessionFlagEncrypt) == 0)
                throw new SmbProtocolException("The server's final SESSION_SETUP response is not signed although signing is required.");
        }
        if ((flags & SessionFlagEncrypt) != 0 || _settings.RequireEncryption) EnableEncryption();
    }

    private void EnableEncryption()
    {
        if (_encryptor is null)
            throw new SmbStatusException(SmbStatus.NotSupported, "Encryption", $"the server negotiated SMB {DialectName(Dialect)} without a cipher this client shares; SMB 3 with AES is needed");
        _encrypt = true;
    }

    public static string DialectName(SmbDialect dialect) => dialect switch
    {
        SmbDialect.Smb202 => "2.0.2",
        SmbDialect.Smb210 => "2.1",
        SmbDialect.Smb300 => "3.0",
        SmbDialect.Smb302 => "3.0.2",
        SmbDialect.Smb311 => "3.1.1",
        _ => $"0x{(ushort)dialect:X4}",
    };

    private async Task<SmbResponse> SessionSetupStepAsync(byte[] token, CancellationToken cancellationToken)
    {
        var request = NewRequest(24 + token.Length);
        var b = request.AsSpan(SmbHeader.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(b, 25);
        b[3] = (byte)(_settings.RequireSigning || _signingRequiredByServer ? SigningRequired : SigningEnabled);
        BinaryPrimitives.WriteUInt16LittleEndian(b[12..], SmbHeader.Size + 24);
        BinaryPrimitives.WriteUInt16LittleEndian(b[14..], (ushort)token.Length);
        token.CopyTo(b[24..]);
        var response = await SendAsync(SmbCommand.SessionSetup, request, 0, cancellationToken, _ => true,
            Dialect == SmbDialect.Smb311 ? m => UpdatePreauth(m) : null).ConfigureAwait(false);
        if (Dialect == SmbDialect.Smb311 && response.Status == SmbStatus.MoreProcessingRequired) UpdatePreauth(response.Message);
        if (response.Status is SmbStatus.Success or SmbStatus.MoreProcessingRequired) response.Require(8);
        return response;
    }

    private static ReadOnlySpan<byte> SecurityBuffer(SmbResponse response) =>
        response.Slice(BinaryPrimitives.ReadUInt16LittleEndian(response.Body[4..]), BinaryPrimitives.ReadUInt16LittleEndian(response.Body[6..]), "security buffer");

    // ---- TREE_CONNECT -----------------------------------------------------------------------------------------

    private async Task TreeConnectAsync(CancellationToken cancellationToken)
    {
        var path = Encoding.Unicode.GetBytes($@"\\{_settings.Host}\{_settings.Share}");
        var request = NewRequest(8 + path.Length);
        var b = request.AsSpan(SmbHeader.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(b, 9);
        BinaryPrimitives.WriteUInt16LittleEndian(b[4..], SmbHeader.Size + 8);
        BinaryPrimitives.WriteUInt16LittleEndian(b[6..], (ushort)path.Length);
        path.CopyTo(b[8..]);
        var response = await SendAsync(SmbCommand.TreeConnect, request, 0, cancellationToken).ConfigureAwait(false);
        response.Require(16);
        TreeId = response.TreeId;
        var shareFlags = BinaryPrimitives.ReadUInt32LittleEndian(response.Body[4..]);
        if ((shareFlags & ShareFlagEncrypt) != 0) EnableEncryption();
        if (Dialect is SmbDialect.Smb300 or SmbDialect.Smb302 && _signer is not null)
            await ValidateNegotiateAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// FSCTL_VALIDATE_NEGOTIATE_INFO (MS-SMB2 3.2.5.14.12): SMB 3.0 and 3.0.2 have no pre-authentication hash, so the
    /// client repeats what it offered in NEGOTIATE over the signed session and checks that the server's signed
    /// answer matches what it chose; a man in the middle that downgraded the dialect or signing is caught here.
    /// </summary>
    private async Task ValidateNegotiateAsync(CancellationToken cancellationToken)
    {
        var input = new byte[24 + _offeredDialects.Length * 2];
        BinaryPrimitives.WriteUInt32LittleEndian(input, BinaryPrimitives.ReadUInt32LittleEndian(_offer.AsSpan(4)));
        _offer.AsSpan(8, 16).CopyTo(input.AsSpan(4));
        BinaryPrimitives.WriteUInt16LittleEndian(input.AsSpan(20), BinaryPrimitives.ReadUInt16LittleEndian(_offer));
        BinaryPrimitives.WriteUInt16LittleEndian(input.AsSpan(22), (ushort)_offeredDialects.Length);
        for (var i = 0; i < _offeredDialects.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(input.AsSpan(24 + i * 2), (ushort)_offeredDialects[i]);
        var handle = new SmbHandle(this, new SmbFileId(ulong.MaxValue, ulong.MaxValue), new SmbFileInfo(false, 0, null, 0));
        var output = await handle.IoctlAsync(0x00140204, input, 24, cancellationToken,
            s => s is SmbStatus.NotSupported or 0xC0000010 or SmbStatus.FileClosed).ConfigureAwait(false);
        if (output.Length == 0) return; // the server does not implement it (allowed before SMB 3.1.1 servers)
        if (output.Length < 24 ||
            BinaryPrimitives.ReadUInt32LittleEndian(output) != _serverAnswer.Capabilities ||
            !output.AsSpan(4, 16).SequenceEqual(_serverAnswer.Guid) ||
            BinaryPrimitives.ReadUInt16LittleEndian(output.AsSpan(20)) != _serverAnswer.SecurityMode ||
            BinaryPrimitives.ReadUInt16LittleEndian(output.AsSpan(22)) != (ushort)Dialect)
            throw new SmbProtocolException("The server's VALIDATE_NEGOTIATE_INFO answer does not match its NEGOTIATE response (the negotiation was tampered with).");
        NegotiateValidated = true;
    }

    /// <summary>Whether the server confirmed the negotiation with VALIDATE_NEGOTIATE_INFO (SMB 3.0 and 3.0.2).</summary>
    public bool NegotiateValidated { get; private set; }

    // ---- Requests ---------------------------------------------------------------------------------------------

    /// <summary>A request buffer: header space followed by <paramref name="bodyLength"/> bytes of body.</summary>
    public static byte[] NewRequest(int bodyLength) => new byte[SmbHeader.Size + bodyLength];

    /// <summary>Sends a request and waits for its final response.</summary>
    /// <param name="command">The command.</param>
    /// <param name="request">Header space and body, from <see cref="NewRequest"/>; the header is filled here.</param>
    /// <param name="payload">The READ/WRITE/QUERY size in bytes, which sets the credit charge.</param>
    /// <param name="cancellationToken">Cancels the wait (the connection stays usable).</param>
    /// <param name="accept">Which statuses are returned rather than thrown (success only when null).</param>
    /// <exception cref="SmbStatusException">The server answered with a status <paramref name="accept"/> does not take.</exception>
    /// <exception cref="SmbConnectionException">The connection is broken or the response did not come in time.</exception>
    /// <param name="beforeSend">Sees the request once its header is written (the pre-authentication hash).</param>
    public async Task<SmbResponse> SendAsync(SmbCommand command, ArraySegment<byte> request, int payload, CancellationToken cancellationToken, Func<uint, bool>? accept = null, Action<ArraySegment<byte>>? beforeSend = null)
    {
        ThrowIfBroken();
        cancellationToken.ThrowIfCancellationRequested();
        ushort charge = (ushort)(LargeMtu ? Math.Max(1, (payload + 65535) / 65536) : (Dialect == SmbDialect.Smb202 ? 0 : 1));
        var needed = Math.Max(1, (int)charge);
        using var timeout = new CancellationTokenSource(_settings.OperationTimeout, _settings.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _closing.Token);
        var pending = new Pending(command);
        ulong messageId = 0;
        try
        {
            // NEGOTIATE too: it spends the one credit a connection starts with (message id 0). Skipping it left this
            // count one above the server's, and a request that waited for exactly all its credits was refused.
            await AcquireCreditsAsync(needed, linked.Token).ConfigureAwait(false);
            await _sendLock.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                ThrowIfBroken();
                messageId = _nextMessageId;
                _nextMessageId += (ulong)needed;
                var creditRequest = CreditRequest(needed);
                var treeId = command is SmbCommand.Negotiate or SmbCommand.SessionSetup or SmbCommand.TreeConnect or SmbCommand.Logoff ? 0 : TreeId;
                SmbHeader.Write(request, command, charge, creditRequest, messageId, treeId, command == SmbCommand.Negotiate ? 0 : SessionId);
                _pending[messageId] = pending;
                beforeSend?.Invoke(request);
                if (_encrypt && command is not (SmbCommand.Negotiate or SmbCommand.SessionSetup))
                {
                    await WriteEncryptedFrameAsync(request, linked.Token).ConfigureAwait(false);
                }
                else
                {
                    if (_signer is not null && command is not (SmbCommand.Negotiate or SmbCommand.SessionSetup)) _signer.Sign(request);
                    await WriteFrameAsync(request, linked.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _sendLock.Release();
            }
            var response = await pending.Completion.Task.WaitAsync(linked.Token).ConfigureAwait(false);
            LastUsed = _settings.Time.GetUtcNow();
            if (response.Status == SmbStatus.Success || (accept?.Invoke(response.Status) ?? false))
                return response;
            throw new SmbStatusException(response.Status, command.ToString());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _pending.TryRemove(messageId, out _);
            // The connection broke because of this very response (a bad signature), or of another protocol violation.
            if (pending.Completion.Task.IsFaulted) throw pending.Completion.Task.Exception!.InnerException!;
            if (_broken is SmbProtocolException violation) throw new SmbProtocolException(violation.Message);
            var error = _closing.IsCancellationRequested && _broken is not null
                ? new SmbConnectionException($"The SMB connection was lost ({_broken.Message})", _broken)
                : new SmbConnectionException($"The server did not answer {command} within {_settings.OperationTimeout.TotalSeconds:0} s", timeout: true);
            Break(error);
            throw error;
        }
        catch (OperationCanceledException)
        {
            _pending.TryRemove(messageId, out _);
            if (pending.AsyncId != 0) _ = SendCancelAsync(messageId, pending.AsyncId);
            throw;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            var error = new SmbConnectionException($"The SMB connection was lost ({ex.Message})", ex);
            Break(error);
            throw error;
        }
    }

    /// <summary>
    /// Sends requests as one related compound (MS-SMB2 3.2.4.1.4): one message, processed by the server in order,
    /// each later request on the same handle as the one before it (a CREATE's new handle when the later request
    /// names <see cref="SmbFileId.Related"/>). Saves a round trip per request; the first failing response is thrown
    /// after all have arrived.
    /// </summary>
    public Task<SmbResponse[]> SendCompoundAsync(IReadOnlyList<(SmbCommand Command, byte[] Request)> parts, CancellationToken cancellationToken) =>
        SendCompoundAsync(parts.Select(p => new SmbCompoundPart(p.Command, p.Request)).ToList(), cancellationToken);

    /// <summary>
    /// Sends requests as one related compound and returns every response. A part's failure is thrown only when its
    /// <see cref="SmbCompoundPart.Accept"/> does not take the status. Servers (Samba, Windows) fail the later related
    /// requests of a compound only when its CREATE failed: a failed WRITE does not stop a later SET_INFO, so a
    /// compound must never hold a step that is only right when an earlier one succeeded.
    /// </summary>
    public async Task<SmbResponse[]> SendCompoundAsync(IReadOnlyList<SmbCompoundPart> parts, CancellationToken cancellationToken)
    {
        ThrowIfBroken();
        cancellationToken.ThrowIfCancellationRequested();
        var charges = parts.Select(p => (ushort)(LargeMtu ? Math.Max(1, (p.Payload + 65535) / 65536) : (Dialect == SmbDialect.Smb202 ? 0 : 1))).ToArray();
        var needed = charges.Sum(c => Math.Max(1, (int)c));
        using var timeout = new CancellationTokenSource(_settings.OperationTimeout, _settings.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _closing.Token);
        var pendings = parts.Select(p => new Pending(p.Command)).ToArray();
        var ids = new ulong[parts.Count];
        var registered = false;
        try
        {
            await AcquireCreditsAsync(needed, linked.Token).ConfigureAwait(false);
            await _sendLock.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                ThrowIfBroken();
                var padded = new byte[parts.Count][];
                var total = 0;
                for (var i = 0; i < parts.Count; i++)
                {
                    var (command, request) = (parts[i].Command, parts[i].Request);
                    var last = i == parts.Count - 1;
                    var message = last || request.Length % 8 == 0 ? request : new byte[(request.Length + 7) & ~7];
                    if (!ReferenceEquals(message, request)) request.CopyTo(message, 0);
                    ids[i] = _nextMessageId;
                    _nextMessageId += (ulong)Math.Max(1, (int)charges[i]);
                    var creditRequest = CreditRequest(Math.Max(1, (int)charges[i]));
                    SmbHeader.Write(message, command, charges[i], creditRequest, ids[i], TreeId, SessionId);
                    if (!last) BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(20), (uint)message.Length);
                    if (i > 0) BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(16), SmbHeader.FlagRelated);
                    if (!_encrypt) _signer?.Sign(message);
                    padded[i] = message;
                    total += message.Length;
                }
                var compound = new byte[total];
                var offset = 0;
                foreach (var m in padded)
                {
                    m.CopyTo(compound, offset);
                    offset += m.Length;
                }
                for (var i = 0; i < parts.Count; i++) _pending[ids[i]] = pendings[i];
                registered = true;
                if (_encrypt) await WriteEncryptedFrameAsync(compound, linked.Token).ConfigureAwait(false);
                else await WriteFrameAsync(compound, linked.Token).ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }
            var responses = await Task.WhenAll(pendings.Select(p => p.Completion.Task)).WaitAsync(linked.Token).ConfigureAwait(false);
            LastUsed = _settings.Time.GetUtcNow();
            for (var i = 0; i < responses.Length; i++)
                if (responses[i].Status != SmbStatus.Success && !(parts[i].Accept?.Invoke(responses[i].Status) ?? false))
                    throw new SmbStatusException(responses[i].Status, parts[i].Command.ToString());
            return responses;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (registered) foreach (var id in ids) _pending.TryRemove(id, out _);
            if (pendings.FirstOrDefault(p => p.Completion.Task.IsFaulted) is { } faulted) throw faulted.Completion.Task.Exception!.InnerException!;
            if (_broken is SmbProtocolException violation) throw new SmbProtocolException(violation.Message);
            var error = _closing.IsCancellationRequested && _broken is not null
                ? new SmbConnectionException($"The SMB connection was lost ({_broken.Message})", _broken)
                : new SmbConnectionException($"The server did not answer a compound request within {_settings.OperationTimeout.TotalSeconds:0} s", timeout: true);
            Break(error);
            throw error;
        }
        catch (OperationCanceledException)
        {
            if (registered) foreach (var id in ids) _pending.TryRemove(id, out _);
            throw;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            var error = new SmbConnectionException($"The SMB connection was lost ({ex.Message})", ex);
            Break(error);
            throw error;
        }
    }

    /// <summary>Encrypts a message into a pooled TRANSFORM frame and writes it; the frame goes back to the pool once
    /// the socket is done with it (the write is never abandoned half-way, see <see cref="WriteFrameAsync"/>).</summary>
    private async Task WriteEncryptedFrameAsync(ArraySegment<byte> message, CancellationToken cancellationToken)
    {
        var size = SmbEncryptor.EncryptedSize(message.Count);
        var frame = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            _encryptor!.Encrypt(message, SessionId, frame.AsSpan(0, size));
            await WriteFrameAsync(new ArraySegment<byte>(frame, 0, size), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Writes the transport header and the message in one write (one segment for small messages); a large
    /// message goes out by a gathering send, without copying its megabyte behind a four-byte header.</summary>
    private async Task WriteFrameAsync(ArraySegment<byte> message, CancellationToken cancellationToken)
    {
        if (message.Count >= 64 * 1024)
        {
            var header = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)message.Count);
            // Not abandoned on cancellation: the send lock must stay held until the whole frame is out, or another
            // message could interleave with its rest. A server that stops reading is ended by the timeout's Break.
            // (Pooled request and TRANSFORM buffers rely on it too: they are returned only after this completes.)
            var sent = await _tcp.Client.SendAsync([new ArraySegment<byte>(header), message], SocketFlags.None).ConfigureAwait(false);
            if (sent != 4 + message.Count) throw new IOException($"The socket sent {sent} of {4 + message.Count} bytes.");
            return;
        }
        var frame = System.Buffers.ArrayPool<byte>.Shared.Rent(4 + message.Count);
        try
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)message.Count);
            message.AsSpan().CopyTo(frame.AsSpan(4));
            await _stream.WriteAsync(frame.AsMemory(0, 4 + message.Count), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private async Task SendCancelAsync(ulong messageId, ulong asyncId)
    {
        try
        {
            var request = NewRequest(4);
            BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(SmbHeader.Size), 4);
            await _sendLock.WaitAsync().ConfigureAwait(false);
            try
            {
                SmbHeader.Write(request, SmbCommand.Cancel, 0, 0, messageId, 0, SessionId);
                BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(16), SmbHeader.FlagAsync);
                BinaryPrimitives.WriteUInt64LittleEndian(request.AsSpan(32), asyncId);
                if (_encrypt)
                {
                    await WriteEncryptedFrameAsync(request, CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    _signer?.Sign(request);
                    await WriteFrameAsync(request, CancellationToken.None).ConfigureAwait(false);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Break(new SmbConnectionException($"The SMB connection was lost ({ex.Message})", ex));
        }
    }

    private void ThrowIfBroken()
    {
        if (_broken is not null)
            throw _broken as SmbConnectionException ?? new SmbConnectionException($"The SMB connection is broken ({_broken.Message})", _broken);
    }

    // ---- Credits ----------------------------------------------------------------------------------------------

    private async Task AcquireCreditsAsync(int count, CancellationToken cancellationToken)
    {
        TaskCompletionSource ready;
        LinkedListNode<(int, TaskCompletionSource)> node;
        lock (_creditLock)
        {
            if (_creditWaiters.Count == 0 && _credits >= count)
            {
                _credits -= count;
                return;
            }
            ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _creditWaiters.AddLast((count, ready));
        }
        try
        {
            await ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_creditLock)
            {
                if (node.List is not null) _creditWaiters.Remove(node);
                else _credits += count; // granted just as it was cancelled: give the credits back
                GrantWaiters();
            }
            throw;
        }
    }

    /// <summary>
    /// The credits a request asks for: its own charge, plus what is missing to hold enough for a stream's READs or
    /// WRITEs in flight twice over (<see cref="SmbSettings.IoDepth"/> of the largest size, and a compound's extra).
    /// A fixed top-up of 64 left a session with about 130 credits, and a request that needed more (an open with an
    /// 8 MiB first READ) waited for credits no answer would ever bring.
    /// </summary>
    private ushort CreditRequest(int charge)
    {
        var target = 2 * _settings.IoDepth * Math.Max(1, _settings.MaxIoSize / 65536) + 64;
        lock (_creditLock) return (ushort)Math.Min(charge + Math.Max(0, target - _credits), 8192);
    }

    private void Grant(int count)
    {
        if (count == 0) return;
        lock (_creditLock)
        {
            _credits += count;
            GrantWaiters();
        }
    }

    private void GrantWaiters()
    {
        while (_creditWaiters.First is { } first && _credits >= first.Value.Count)
        {
            _creditWaiters.RemoveFirst();
            _credits -= first.Value.Count;
            first.Value.Ready.TrySetResult();
        }
    }

    // ---- Receiving --------------------------------------------------------------------------------------------

    /// <summary>Frames from this size up are read into pooled buffers (READ responses); smaller ones are plain
    /// short-lived arrays.</summary>
    private const int PooledFrameSize = 64 * 1024;

    private async Task ReceiveLoopAsync()
    {
        var lengthBuffer = new byte[4];
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                await _stream.ReadExactlyAsync(lengthBuffer, _closing.Token).ConfigureAwait(false);
                var length = (int)BinaryPrimitives.ReadUInt32BigEndian(lengthBuffer);
                if (length > 16 * 1024 * 1024 + 4096 || length < 4)
                    throw new SmbProtocolException($"The server sent a frame of {length} bytes, which is not an SMB2 message.");
                // A megabyte per READ response was a fresh large-object allocation, and a hundred full collections per
                // GiB. A pooled frame goes back to the pool when its response is dropped here, or when the reader
                // that consumed it is done with it; one that leaves by any other path is collected like before.
                var rented = length >= PooledFrameSize ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
                var frame = new ArraySegment<byte>(rented ?? new byte[length], 0, length);
                try
                {
                    await _stream.ReadExactlyAsync(frame, _closing.Token).ConfigureAwait(false);
                    var encrypted = frame[0] == 0xFD;
                    if (encrypted)
                    {
                        if (_encryptor is null) throw new SmbProtocolException("The server sent an encrypted message on a session without encryption keys.");
                        if (BinaryPrimitives.ReadUInt64LittleEndian(frame.AsSpan(44)) != SessionId)
                            throw new SmbProtocolException("The server sent an encrypted message for another session.");
                        frame = _encryptor.DecryptInPlace(frame);
                    }
                    // The messages of a compound share the frame and none of them owns it: they get a copy of their own
                    // (a small file's CREATE+READ+CLOSE answer fits under the large-object size; a pooled array left
                    // to the collector would not), and the pooled frame goes back at once.
                    if (rented is not null && frame.Count >= SmbHeader.Size && BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(20)) != 0)
                    {
                        frame = frame.AsSpan().ToArray();
                        System.Buffers.ArrayPool<byte>.Shared.Return(rented);
                        rented = null;
                    }
                    if (Dispatch(frame, encrypted, rented)) rented = null;
                }
                finally
                {
                    if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_closing.IsCancellationRequested)
        {
            Break(ex switch
            {
                SmbProtocolException => ex,
                EndOfStreamException => new SmbConnectionException("The server closed the SMB connection", ex),
                _ => new SmbConnectionException($"The SMB connection was lost ({ex.Message})", ex),
            });
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Delivers each message of a frame without copying it. Returns whether the pooled buffer
    /// <paramref name="rented"/> went to a waiting request with the response (a frame of one message only).</summary>
    private bool Dispatch(ArraySegment<byte> frame, bool encrypted, byte[]? rented)
    {
        var offset = 0;
        while (true)
        {
            if (frame.Count - offset < SmbHeader.Size) throw new SmbProtocolException("The server sent a truncated SMB2 message.");
            var next = (int)BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(offset + 20));
            if (next != 0 && (next < SmbHeader.Size || offset + next > frame.Count)) throw new SmbProtocolException("The server sent a compound response with a bad next-command offset.");
            if (next == 0 && offset == 0) return Deliver(SmbResponse.Parse(frame, rented), encrypted);
            Deliver(SmbResponse.Parse(frame.Slice(offset, next == 0 ? frame.Count - offset : next)), encrypted);
            if (next == 0) return false;
            offset += next;
        }
    }

    /// <summary>Completes the request a response answers; returns whether it was handed over.</summary>
    private bool Deliver(SmbResponse response, bool encrypted)
    {
        Grant(response.CreditsGranted);
        if (response.MessageId == ulong.MaxValue) return false; // an oplock or lease break notification; this client takes none
        if (!_pending.TryGetValue(response.MessageId, out var pending)) return false; // a late answer to an abandoned request
        if (response.Status == SmbStatus.Pending && (response.Flags & SmbHeader.FlagAsync) != 0)
        {
            pending.AsyncId = response.AsyncId;
            return false;
        }
        _pending.TryRemove(response.MessageId, out _);
        var signed = (response.Flags & SmbHeader.FlagSigned) != 0;
        if (!encrypted && _signer is not null && response.SessionId == SessionId && pending.Command != SmbCommand.SessionSetup)
        {
            if (signed && !_signer.Verify(response.Message))
            {
                var error = new SmbProtocolException($"The server's {response.Command} response has a signature that does not verify; it was refused.");
                pending.Completion.TrySetException(error);
                Break(error);
                return false;
            }
            if (!signed && (_encrypt || _signingRequiredByServer || _settings.RequireSigning || Dialect == SmbDialect.Smb311))
            {
                var error = new SmbProtocolException($"The server's {response.Command} response is not signed (or not encrypted) although the session requires it; it was refused.");
                pending.Completion.TrySetException(error);
                Break(error);
                return false;
            }
        }
        if (_encrypt && !encrypted && pending.Command is not (SmbCommand.Negotiate or SmbCommand.SessionSetup or SmbCommand.TreeConnect))
        {
            var error = new SmbProtocolException($"The server's {response.Command} response is not encrypted on an encrypted session; it was refused.");
            pending.Completion.TrySetException(error);
            Break(error);
            return false;
        }
        if (response.Command != pending.Command)
        {
            pending.Completion.TrySetException(new SmbProtocolException($"The server answered a {pending.Command} request with a {response.Command} response."));
            return false;
        }
        return pending.Completion.TrySetResult(response);
    }

    private void Break(Exception error)
    {
        if (Interlocked.CompareExchange(ref _broken, error, null) is not null) return;
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        foreach (var key in _pending.Keys)
            if (_pending.TryRemove(key, out var pending))
                pending.Completion.TrySetException(error is SmbProtocolException ? error : new SmbConnectionException(error.Message, error));
        _tcp.Dispose();
    }

    /// <summary>ECHO: whether the server still answers within <paramref name="timeout"/>.</summary>
    public async Task<bool> IsAliveAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (IsBroken) return false;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            var request = NewRequest(4);
            BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(SmbHeader.Size), 4);
            await SendAsync(SmbCommand.Echo, request, 0, limit.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SmbConnectionException or SmbProtocolException or SmbStatusException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Break(new SmbConnectionException("The server did not answer ECHO"));
            return false;
        }
    }

    /// <summary>TREE_DISCONNECT and LOGOFF (best effort), then closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!IsBroken && SessionId != 0)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                if (TreeId != 0)
                {
                    var disconnect = NewRequest(4);
                    BinaryPrimitives.WriteUInt16LittleEndian(disconnect.AsSpan(SmbHeader.Size), 4);
                    await SendAsync(SmbCommand.TreeDisconnect, disconnect, 0, quick.Token).ConfigureAwait(false);
                }
                var logoff = NewRequest(4);
                BinaryPrimitives.WriteUInt16LittleEndian(logoff.AsSpan(SmbHeader.Size), 4);
                await SendAsync(SmbCommand.Logoff, logoff, 0, quick.Token, _ => true).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SmbConnectionException or SmbProtocolException or SmbStatusException or OperationCanceledException)
            {
            }
        }
        Break(new SmbConnectionException("The SMB connection was closed"));
        if (_receiveLoop is not null)
            await _receiveLoop.ConfigureAwait(false);
        _signer?.Dispose();
        _encryptor?.Dispose();
        _stream.Dispose();
    }

    private sealed class Pending(SmbCommand command)
    {
        public SmbCommand Command { get; } = command;
        public TaskCompletionSource<SmbResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ulong AsyncId { get; set; }
    }
}

/// <summary>One request of a compound: its command, its buffer (from <see cref="SmbConnection.NewRequest"/>), the
/// READ/WRITE size that sets its credit charge, and which failing statuses are returned rather than thrown.</summary>
internal sealed record SmbCompoundPart(SmbCommand Command, byte[] Request, int Payload = 0, Func<uint, bool>? Accept = null);
