using System.Management.Automation;
using Pipeline.PowerShell.Remote;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>Lists the open sessions made by Connect-RemoteFs.</summary>
[Cmdlet(VerbsCommon.Get, "RemoteFsSession")]
[OutputType(typeof(RemoteFsSession))]
public sealed class GetRemoteFsSessionCommand : RemoteFsCommand
{
    /// <summary>Only the sessions with these ids.</summary>
    [Parameter(Position = 0)]
    public int[]? Id { get; set; }

    /// <summary>Only the sessions whose URI matches this pattern.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Uri { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var pattern = Uri is null ? null : new WildcardPattern(Uri, WildcardOptions.IgnoreCase);
        foreach (var session in RemoteFsSessions.All)
        {
            if (Id is not null && !Id.Contains(session.Id)) continue;
            if (pattern is not null && !pattern.IsMatch(session.Uri)) continue;
            WriteObject(session);
        }
    }
}
