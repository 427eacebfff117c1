using System.Net;
using Pipeline.RemoteFs.S3;

namespace Pipeline.RemoteFs.Tests.S3;

public sealed class S3SettingsTests
{
    private static S3Settings From(string uri, NetworkCredential? credential = null, params (string Key, string Value)[] settings) =>
        S3Settings.From(RemoteEndpoint.Parse(uri), new RemoteConnectionOptions
        {
            Credential = credential,
            Settings = settings.ToDictionary(s => s.Key, s => s.Value, StringComparer.OrdinalIgnoreCase),
        });

    [Fact]
    public void Gs_uris_go_to_google_cloud_storage_path_style_without_batch_deletes()
    {
        var settings = From("gs://my-bucket/data", new NetworkCredential("GOOG1EXAMPLE", "hmac-secret"));
        Assert.Equal("my-bucket", settings.Bucket);
        Assert.Equal("https://storage.googleapis.com", settings.ServiceUrl);
        Assert.True(settings.PathStyle);
        Assert.False(settings.BatchDelete);
        Assert.Equal("auto", settings.Region);
        Assert.Equal("GOOG1EXAMPLE", settings.AccessKey);
    }

    [Fact]
    public void S3_uris_go_to_aws_with_virtual_hosts_unless_an_endpoint_is_given()
    {
        var aws = From("s3://bucket/prefix", null, ("region", "eu-west-1"));
        Assert.Null(aws.ServiceUrl);
        Assert.False(aws.PathStyle);
        Assert.Null(aws.AccessKey);
        Assert.Equal(8 * 1024 * 1024, aws.PartSize);
        Assert.Equal(1000, aws.PageSize);

        var compatible = From("s3://bucket/?endpoint=http://127.0.0.1:9000&part_size=16M&page_size=2");
        Assert.Equal("http://127.0.0.1:9000", compatible.ServiceUrl);
        Assert.True(compatible.PathStyle);
        Assert.Equal(16 * 1024 * 1024, compatible.PartSize);
        Assert.Equal(2, compatible.PageSize);
        Assert.False(From("s3://bucket", null, ("endpoint", "https://minio.local"), ("path_style", "false")).PathStyle);
    }

    [Theory]
    [InlineData("part_size", "1M")]
    [InlineData("part_size", "lots")]
    [InlineData("page_size", "5000")]
    [InlineData("upload_concurrency", "0")]
    [InlineData("path_style", "maybe")]
    [InlineData("endpoint", "ftp://host")]
    [InlineData("endpoint", "http://user:pw@host")]
    public void An_invalid_setting_fails_with_its_name(string name, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => From("s3://bucket", null, (name, value)));
        Assert.Contains(name, error.Message);
    }

    [Fact]
    public void A_port_on_the_bucket_is_refused_with_a_hint()
    {
        var error = Assert.Throws<ArgumentException>(() => From("s3://bucket:9000/x"));
        Assert.Contains("endpoint=", error.Message);
    }

    [Fact]
    public void An_access_key_without_a_secret_is_refused()
    {
        Assert.Throws<ArgumentException>(() => From("s3://bucket", new NetworkCredential("AKIA", "")));
    }

    [Fact]
    public void The_secret_key_appears_in_no_description_and_separates_pools()
    {
        var one = From("s3://bucket", new NetworkCredential("AKIA", "secret-one"));
        var two = From("s3://bucket", new NetworkCredential("AKIA", "secret-two"));
        Assert.DoesNotContain("secret-one", one.ToString());
        Assert.DoesNotContain("secret-one", one.PoolKey);
        Assert.NotEqual(one.PoolKey, two.PoolKey);
        Assert.Equal(one.PoolKey, From("s3://bucket/other/prefix", new NetworkCredential("AKIA", "secret-one")).PoolKey);
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, "InvalidAccessKeyId", RemoteErrorKind.Authentication)]
    [InlineData(HttpStatusCode.Forbidden, "SignatureDoesNotMatch", RemoteErrorKind.Authentication)]
    [InlineData(HttpStatusCode.Forbidden, null, RemoteErrorKind.Authentication)]
    [InlineData(HttpStatusCode.Forbidden, "AccessDenied", RemoteErrorKind.PermissionDenied)]
    [InlineData(HttpStatusCode.NotFound, "NoSuchBucket", RemoteErrorKind.NotFound)]
    [InlineData(HttpStatusCode.NotFound, "NoSuchKey", RemoteErrorKind.NotFound)]
    [InlineData(HttpStatusCode.NotFound, null, RemoteErrorKind.NotFound)]
    [InlineData(HttpStatusCode.Conflict, "SomethingElse", RemoteErrorKind.Conflict)]
    [InlineData(HttpStatusCode.ServiceUnavailable, "SlowDown", RemoteErrorKind.Transient)]
    [InlineData(HttpStatusCode.InternalServerError, "InternalError", RemoteErrorKind.Transient)]
    [InlineData(HttpStatusCode.BadGateway, null, RemoteErrorKind.Transient)]
    [InlineData(HttpStatusCode.BadRequest, "RequestTimeout", RemoteErrorKind.Transient)]
    [InlineData(HttpStatusCode.BadRequest, "MalformedXML", RemoteErrorKind.Protocol)]
    public void S3_errors_map_to_typed_kinds(HttpStatusCode status, string? code, RemoteErrorKind expected)
    {
        Assert.Equal(expected, S3Errors.KindOf(status, code));
    }
}
