using System.Collections;
using System.Management.Automation;
using Pipeline.PowerShell.Hosting;
using Pipeline.PowerShell.Remote;
using Pipeline.RemoteFs;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>Connects to a remote file system and keeps the connection as a session for the remote cmdlets.</summary>
[Cmdlet(VerbsCommunications.Connect, "RemoteFs", DefaultParameterSetName = UriSet)]
[OutputType(typeof(RemoteFsSession))]
public sealed class ConnectRemoteFsCommand : RemoteFsCommand
{
    private const string UriSet = "Uri";
    private const string PartsSet = "Parts";

    // Held as a number: PowerShell lays out this type before the module initializer has made the engine assembly
    // loadable (see Loading/ModuleInitializer.cs), and a field of an engine value type would need it.
    private int _hostKeyPolicy;

    /// <summary>The endpoint: sftp://user@host:port/path, ftp://, ftps://, ftpes://, s3://bucket/prefix, gs://, az://account/container, file:///path.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string Uri { get; set; } = "";

    /// <summary>The protocol, when the endpoint is given in parts.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PartsSet)]
    [ValidateSet("sftp", "ftp", "ftps", "ftpes", "s3", "gs", "az", "file")]
    public string Scheme { get; set; } = "";

    /// <summary>The host, bucket or storage account, when the endpoint is given in parts.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PartsSet)]
    [Alias("ComputerName", "Bucket")]
    [ValidateNotNullOrEmpty]
    public string HostName { get; set; } = "";

    /// <summary>The port, when not the protocol's default.</summary>
    [Parameter(ParameterSetName = PartsSet)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>The base path of the session (a prefix or container on object stores).</summary>
    [Parameter(ParameterSetName = PartsSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "/";

    /// <summary>User name and password; for S3 the access key id and secret key; for key files, the passphrase.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>A private key file for SFTP.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KeyFile { get; set; }

    /// <summary>How an unknown SSH host key is treated: Strict (refused, the default) or AcceptNew (trusted on first use and recorded).</summary>
    [Parameter]
    public HostKeyPolicy HostKeyPolicy { get => (HostKeyPolicy)_hostKeyPolicy; set => _hostKeyPolicy = (int)value; }

    /// <summary>The only SSH host key (SHA256:...) or TLS certificate thumbprint to accept.</summary>
    [Parameter]
    [Alias("CertificateThumbprint")]
    [ValidateNotNullOrEmpty]
    public string? HostKeyFingerprint { get; set; }

    /// <summary>The S3 region.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Region { get; set; }

    /// <summary>The URL of an S3-compatible server (http:// or https://).</summary>
    [Parameter]
    [Alias("ServiceUrl")]
    [ValidateNotNullOrEmpty]
    public string? Endpoint { get; set; }

    /// <summary>Path-style S3 addressing (the default when -Endpoint is given).</summary>
    [Parameter]
    public SwitchParameter PathStyle { get; set; }

    /// <summary>Provider settings by name (for example known_hosts, ssh_options, mode, tls, part_size, profile).</summary>
    [Parameter]
    public Hashtable? Setting { get; set; }

    /// <summary>Time allowed to connect (30s, 2m, a TimeSpan or seconds).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>Time allowed for one operation to make progress.</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? OperationTimeout { get; set; }

    /// <summary>Attempts for operations that fail transiently (1 = no retry).</summary>
    [Parameter]
    [ValidateRange(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        // The raw -Uri text is never an error's target: it might hold a password that the parser refuses to repeat.
        var endpoint = Required(ParseEndpoint, null);
        var options = Required(BuildOptions, endpoint.ToString());
        var fileSystem = Required(() => Wait(token => RemoteFsSessions.FileSystems.ConnectAsync(endpoint, options, token)), endpoint.ToString());
        var session = RemoteFsSessions.Add(endpoint, options, fileSystem, DateTimeOffset.Now, out var replaced);
        if (replaced is not null)
        {
            WriteVerbose($"The session {replaced.Id} for {replaced.Uri} is replaced by session {session.Id}.");
            Wait(_ => replaced.FileSystem.DisposeAsync().AsTask());
        }
        WriteObject(session);
    }

    private RemoteEndpoint ParseEndpoint()
    {
        if (ParameterSetName == UriSet) return RemoteEndpoint.Parse(Uri);
        if (Scheme == "file") return RemoteEndpoint.Parse("file://" + SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path));
        return new RemoteEndpoint
        {
            Scheme = Scheme,
            Host = HostName,
            Port = Port == 0 ? null : Port,
            Path = RemotePath.Normalize(Path),
        };
    }

    private RemoteConnectionOptions BuildOptions()
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in Setting ?? new Hashtable())
        {
            var value = entry.Value is PSObject pso ? pso.BaseObject : entry.Value;
            settings[entry.Key.ToString() ?? ""] = value switch
            {
                bool flag => flag ? "true" : "false",
                IEnumerable list and not string => string.Join(";", list.Cast<object>()),
                _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
            };
        }
        if (Region is not null) settings["region"] = Region;
        if (Endpoint is not null) settings["endpoint"] = Endpoint;
        if (PathStyle.IsPresent) settings["path_style"] = PathStyle ? "true" : "false";
        var defaults = new RemoteConnectionOptions();
        return new RemoteConnectionOptions
        {
            Credential = Credential?.GetNetworkCredential(),
            KeyFile = KeyFile is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(KeyFile),
            HostKeyPolicy = HostKeyPolicy,
            PinnedFingerprint = HostKeyFingerprint,
            ConnectTimeout = ConnectTimeout ?? defaults.ConnectTimeout,
            OperationTimeout = OperationTimeout ?? defaults.OperationTimeout,
            MaxAttempts = MaxAttempts,
            Settings = settings,
        };
    }
}
