using Pipeline.Core.State;

namespace Pipeline.PowerShell.Hosting;

/// <summary>Opens the run store the cmdlets share: in -StateDirectory when given, else where
/// <see cref="StateLocation"/> says (PIPELINE_STATE_DIR or the per-user default).</summary>
internal static class RunStores
{
    public static SqliteRunStore Open(string? stateDirectory) =>
        new(stateDirectory is null ? StateLocation.GetDatabasePath() : Path.Combine(stateDirectory, StateLocation.DatabaseFileName));

    public static void Close(IRunStore? store) => store?.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
