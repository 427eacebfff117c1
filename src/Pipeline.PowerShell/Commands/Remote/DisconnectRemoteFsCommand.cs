using System.Management.Automation;
using Pipeline.PowerShell.Remote;

namespace Pipeline.PowerShell.Commands.Remote;

/// <summary>Closes sessions made by Connect-RemoteFs and their connections.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "RemoteFs", DefaultParameterSetName = SessionSet)]
[OutputType(typeof(void))]
public sealed class DisconnectRemoteFsCommand : RemoteFsCommand
{
    private const string SessionSet = "Session";
    private const string IdSet = "Id";
    private const string UriSet = "Uri";

    /// <summary>The sessions to close.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = SessionSet)]
    [ValidateNotNullOrEmpty]
    public RemoteFsSession[] Session { get; set; } = [];

    /// <summary>The ids of the sessions to close.</summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet)]
    public int[] Id { get; set; } = [];

    /// <summary>The URIs of the sessions to close (wildcards allowed).</summary>
    [Parameter(Mandatory = true, ParameterSetName = UriSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Uri { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var session in Selected())
        {
            if (!RemoteFsSessions.Remove(session)) continue;
            WriteVerbose($"Closing the session {session.Id} ({session.Uri}).");
            TryItem(() => Wait(_ => session.FileSystem.DisposeAsync().AsTask()), session);
        }
    }

    private IEnumerable<RemoteFsSession> Selected()
    {
        switch (ParameterSetName)
        {
            case IdSet:
                foreach (var id in Id)
                {
                    var session = RemoteFsSessions.All.FirstOrDefault(s => s.Id == id);
                    if (session is null) WriteError(RemoteErrors.NotFound($"There is no remote session with the id {id}.", ErrorPrefix, id));
                    else yield return session;
                }
                break;
            case UriSet:
                foreach (var uri in Uri)
                {
                    var pattern = new WildcardPattern(uri, WildcardOptions.IgnoreCase);
                    var matches = RemoteFsSessions.All.Where(s => pattern.IsMatch(s.Uri)).ToArray();
                    if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(uri))
                        WriteError(RemoteErrors.NotFound($"There is no remote session for '{uri}'.", ErrorPrefix, uri));
                    foreach (var session in matches) yield return session;
                }
                break;
            default:
                foreach (var session in Session) yield return session;
                break;
        }
    }
}
