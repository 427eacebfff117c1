using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.S3;

namespace Pipeline.RemoteFs.S3;

/// <summary>
/// Everything an S3 client needs, decided once from the endpoint and the connection options; invalid settings fail
/// here with their name. Not a record, so that the secret key never reaches a generated <c>ToString</c>.
/// </summary>
internal sealed class S3Settings
{
    /// <summary>The S3-compatible endpoint of Google Cloud Storage (HMAC keys, path-style).</summary>
    public const string GcsServiceUrl = "https://storage.googleapis.com";

    public const int MinimumPartSize = 5 * 1024 * 1024;
    public const long MaximumPartSize = 5L * 1024 * 1024 * 1024;

    public required RemoteEndpoint Endpoint { get; init; }
    public required string Bucket { get; init; }
    /// <summary>The S3-compatible server's URL, or null for AWS itself.</summary>
    public string? ServiceUrl { get; init; }
    public string? Region { get; init; }
    public bool PathStyle { get; init; }
    public string? Profile { get; init; }
    public string? AccessKey { get; init; }
    public string? SecretKey { get; init; }
    /// <summary>Bytes per multipart part; also the size under which a file is sent as one PutObject.</summary>
    public int PartSize { get; init; } = 8 * 1024 * 1024;
    /// <summary>Parts uploaded at once by one write stream.</summary>
    public int UploadConcurrency { get; init; } = 4;
    /// <summary>Keys asked for per list request (S3's maximum is 1000).</summary>
    public int PageSize { get; init; } = 1000;
    /// <summary>The list API: 2 (ListObjectsV2, continuation tokens) or 1 (ListObjects, markers) for servers without version 2.</summary>
    public int ListVersion { get; init; } = 2;
    /// <summary>Whether the server takes a batch DeleteObjects request (Google Cloud Storage does not).</summary>
    public bool BatchDelete { get; init; } = true;
    /// <summary>Single-object deletes in flight at once when <see cref="BatchDelete"/> is off.</summary>
    public int DeleteConcurrency { get; init; } = 8;
    /// <summary>Whether connecting lists one key, so that wrong credentials or a missing bucket fail at connect.</summary>
    public bool CheckBucket { get; init; } = true;
    /// <summary>Whether objects are read by a plain GET of a URL the SDK presigns before its own GetObject is tried.</summary>
    public bool PresignedReads { get; init; } = true;
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Whether the S3-compatible server is reached over plain http.</summary>
    public bool PlainHttp => ServiceUrl?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Where requests go, for messages: the server URL, or AWS with its region.</summary>
    public string Server => ServiceUrl ?? $"AWS S3 ({Region ?? "default region"})";

    /// <summary>The key of the client pool these settings may share: server, addressing, and the identity (a hash of the secret).</summary>
    public string PoolKey
    {
        get
        {
            var secret = AccessKey is null ? "" : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(AccessKey + "\0" + SecretKey)));
            return string.Join('|', ServiceUrl, Region, PathStyle, Profile, AccessKey, secret, ConnectTimeout, OperationTimeout, MaxAttempts);
        }
    }

    /// <summary>Reads the settings from an endpoint and options (options' Settings win over the URI's query).</summary>
    /// <exception cref="ArgumentException">A setting has a value this client does not understand.</exception>
    public static S3Settings From(RemoteEndpoint endpoint, RemoteConnectionOptions options)
    {
        string? Setting(string name) =>
            options.Settings.TryGetValue(name, out var value) && value.Length > 0 ? value.Trim() :
            endpoint.Query.TryGetValue(name, out var query) && query.Length > 0 ? query.Trim() : null;

        bool? Flag(string name) => Setting(name)?.ToLowerInvariant() switch
        {
            null => null,
            "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            var other => throw new ArgumentException($"The setting {name}='{other}' is not true or false.", name),
        };

        long? Size(string name, long minimum, long maximum)
        {
            if (Setting(name) is not { } text) return null;
            var multiplier = 1L;
            var number = text.ToUpperInvariant();
            foreach (var (suffix, factor) in new[] { ("GIB", 1L << 30), ("MIB", 1L << 20), ("KIB", 1L << 10), ("G", 1L << 30), ("M", 1L << 20), ("K", 1L << 10) })
            {
                if (!number.EndsWith(suffix, StringComparison.Ordinal)) continue;
                multiplier = factor;
                number = number[..^suffix.Length].Trim();
                break;
            }
            if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value * multiplier < minimum || value * multiplier > maximum)
                throw new ArgumentException($"The setting {name}='{text}' is not a number from {minimum} to {maximum} (suffixes K, M, G allowed).", name);
            return value * multiplier;
        }

        var gcs = endpoint.Scheme switch
        {
            "s3" => false,
            "gs" => true,
            _ => throw new ArgumentException($"The S3 provider does not serve the scheme '{endpoint.Scheme}://'.", nameof(endpoint)),
        };
        if (endpoint.Port is not null)
            throw new ArgumentException($"'{endpoint}' has a port, but the host of an {endpoint.Scheme}:// URI is the bucket: give the server with the setting endpoint=http://host:port.", nameof(endpoint));

        var serviceUrl = Setting("endpoint");
        if (serviceUrl is not null && (!Uri.TryCreate(serviceUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo)))
            throw new ArgumentException($"The setting endpoint='{serviceUrl}' is not an http:// or https:// URL without user information.", "endpoint");
        serviceUrl ??= gcs ? GcsServiceUrl : null;

        var credential = options.Credential;
        string? accessKey = null, secretKey = null;
        if (!string.IsNullOrEmpty(credential?.UserName))
        {
            accessKey = credential.UserName;
            secretKey = credential.Password;
            if (string.IsNullOrEmpty(secretKey))
                throw new ArgumentException("The credential names an access key but has no secret key (its password).", nameof(options));
        }

        return new S3Settings
        {
            Endpoint = endpoint,
            Bucket = endpoint.Host,
            ServiceUrl = serviceUrl,
            Region = Setting("region") ?? (gcs ? "auto" : null),
            // S3-compatible servers rarely have virtual-host DNS for their buckets; AWS itself prefers virtual hosts.
            PathStyle = Flag("path_style") ?? serviceUrl is not null,
            Profile = Setting("profile"),
            AccessKey = accessKey,
            SecretKey = secretKey,
            PartSize = (int)(Size("part_size", MinimumPartSize, int.MaxValue) ?? 8 * 1024 * 1024),
            UploadConcurrency = (int)(Size("upload_concurrency", 1, 64) ?? 4),
            PageSize = (int)(Size("page_size", 1, 1000) ?? 1000),
            ListVersion = (int)(Size("list_version", 1, 2) ?? 2),
            BatchDelete = Flag("batch_delete") ?? !gcs,
            DeleteConcurrency = (int)(Size("delete_concurrency", 1, 64) ?? 8),
            CheckBucket = Flag("check_bucket") ?? true,
            PresignedReads = Flag("presigned_reads") ?? true,
            ConnectTimeout = options.ConnectTimeout,
            OperationTimeout = options.OperationTimeout,
            MaxAttempts = Math.Max(1, options.MaxAttempts),
        };
    }

    /// <summary>Creates a client for these settings. Credentials: the access key given, else the named profile, else the SDK's default chain.</summary>
    public AmazonS3Client CreateClient()
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = PathStyle,
            Timeout = OperationTimeout,
            ConnectTimeout = ConnectTimeout,
            MaxErrorRetry = MaxAttempts - 1,
            // Flexible CRC checksums (the SDK v4 default) are not understood by most S3-compatible servers nor by GCS;
            // integrity is checked by the caller against the content's own checksum instead.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (ServiceUrl is not null)
        {
            config.ServiceURL = ServiceUrl;
            config.UseHttp = PlainHttp;
            config.AuthenticationRegion = Region ?? "us-east-1";
        }
        else if (Region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(Region);
        }

        if (AccessKey is not null)
            return new S3Client(new BasicAWSCredentials(AccessKey, SecretKey), config);
        if (Profile is not null)
        {
            if (!new CredentialProfileStoreChain().TryGetAWSCredentials(Profile, out var profileCredentials))
                throw new RemoteFsException(RemoteErrorKind.Authentication, $"The AWS profile '{Profile}' was not found in the shared credentials or config file", endpoint: Endpoint);
            return new S3Client(profileCredentials, config);
        }
        return new S3Client(config);
    }

    /// <summary>A credential-free description for messages.</summary>
    public override string ToString() => Endpoint.ToString();
}
