using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Pipeline.RemoteFs.Azure;

namespace Pipeline.RemoteFs.Tests.Azure;

/// <summary>The Shared Key string-to-sign, against the examples of Microsoft's "Authorize with Shared Key" and by hand from its rules.</summary>
public sealed class AzureSharedKeyTests
{
    [Fact]
    public void Canonicalized_resource_matches_the_documented_get_container_metadata_example()
    {
        var uri = new Uri("http://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=metadata");
        Assert.Equal("/myaccount/mycontainer\ncomp:metadata\nrestype:container", AzureSharedKey.CanonicalizedResource(uri, "myaccount"));
    }

    [Fact]
    public void Canonicalized_resource_matches_the_documented_list_blobs_example_with_a_repeated_parameter()
    {
        var uri = new Uri("http://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=list&include=snapshots&include=metadata&include=uncommittedblobs");
        Assert.Equal("/myaccount/mycontainer\ncomp:list\ninclude:metadata,snapshots,uncommittedblobs\nrestype:container",
            AzureSharedKey.CanonicalizedResource(uri, "myaccount"));
    }

    [Fact]
    public void Canonicalized_resource_keeps_the_encoded_path_and_decodes_query_values()
    {
        var uri = new Uri("http://127.0.0.1:10000/devstoreaccount1/c/dir%20x/%C3%BC.txt?comp=block&blockid=YWJj%3D");
        Assert.Equal("/devstoreaccount1/devstoreaccount1/c/dir%20x/%C3%BC.txt\nblockid:YWJj=\ncomp:block",
            AzureSharedKey.CanonicalizedResource(uri, "devstoreaccount1"));
    }

    [Fact]
    public void String_to_sign_has_the_twelve_standard_headers_then_sorted_ms_headers_then_the_resource()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "https://myaccount.blob.core.windows.net/mycontainer/myblob?comp=blocklist")
        {
            Content = new ByteArrayContent(new byte[11]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/xml");
        request.Content.Headers.ContentMD5 = Convert.FromBase64String("1B2M2Y8AsgTpgAmY7PhCfg==");
        request.Headers.TryAddWithoutValidation("x-ms-version", "2021-12-02");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Sun, 22 Nov 2026 01:00:00 GMT");
        request.Headers.TryAddWithoutValidation("X-MS-Blob-Content-MD5", "  abc  ");
        request.Headers.TryAddWithoutValidation("If-None-Match", "*");
        request.Headers.TryAddWithoutValidation("Range", "bytes=0-9");

        var expected =
            "PUT\n" + "\n" + "\n" + "11\n" + "1B2M2Y8AsgTpgAmY7PhCfg==\n" + "application/xml\n" + "\n" + "\n" + "\n" + "*\n" + "\n" + "bytes=0-9\n" +
            "x-ms-blob-content-md5:abc\n" + "x-ms-date:Sun, 22 Nov 2026 01:00:00 GMT\n" + "x-ms-version:2021-12-02\n" +
            "/myaccount/mycontainer/myblob\ncomp:blocklist";
        Assert.Equal(expected, AzureSharedKey.StringToSign(request, "myaccount"));
    }

    [Fact]
    public void Zero_content_length_is_signed_as_empty()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "https://a.blob.core.windows.net/c?restype=container") { Content = new ByteArrayContent([]) };
        Assert.StartsWith("PUT\n\n\n\n", AzureSharedKey.StringToSign(request, "a"), StringComparison.Ordinal);
    }

    [Fact]
    public void Authorization_header_is_the_base64_hmac_sha256_of_the_string_to_sign()
    {
        var key = Convert.ToBase64String(Encoding.ASCII.GetBytes("0123456789abcdef"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://a.blob.core.windows.net/c/b");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Sun, 22 Nov 2026 01:00:00 GMT");
        new AzureSharedKey("a", key).Sign(request);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.ASCII.GetBytes("0123456789abcdef"),
            Encoding.UTF8.GetBytes("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sun, 22 Nov 2026 01:00:00 GMT\n/a/c/b")));
        Assert.Equal($"SharedKey a:{expected}", string.Join(",", request.Headers.GetValues("Authorization")));
    }
}
