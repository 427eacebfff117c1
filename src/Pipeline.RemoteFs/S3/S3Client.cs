using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;

namespace Pipeline.RemoteFs.S3;

/// <summary>
/// The SDK's client with one adjustment for S3-compatible servers: the copy source header keeps its '/' separators
/// literal (<c>bucket/dir/key</c>, the key's other characters still percent-encoded), as the AWS CLI sends it. The
/// SDK encodes them as <c>%2F</c>, which AWS decodes but servers such as s3rver do not, and then report the whole
/// header as a missing bucket.
/// </summary>
internal sealed class S3Client : AmazonS3Client
{
    public S3Client(AmazonS3Config config)
        : base(config)
    {
    }

    public S3Client(AWSCredentials credentials, AmazonS3Config config)
        : base(credentials, config)
    {
    }

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        // Before signing, because the header is signed.
        pipeline.AddHandlerBefore<Signer>(new LiteralCopySourceSlashes());
    }

    private sealed class LiteralCopySourceSlashes : PipelineHandler
    {
        private const string Header = "x-amz-copy-source";

        public override void InvokeSync(IExecutionContext executionContext)
        {
            Rewrite(executionContext);
            base.InvokeSync(executionContext);
        }

        public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            Rewrite(executionContext);
            return base.InvokeAsync<T>(executionContext);
        }

        private static void Rewrite(IExecutionContext context)
        {
            var headers = context.RequestContext.Request.Headers;
            if (headers.TryGetValue(Header, out var value))
                headers[Header] = value.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        }
    }
}
