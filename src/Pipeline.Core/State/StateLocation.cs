namespace Pipeline.Core.State;

/// <summary>
/// Where the embedded run store lives by default, per user:
/// <list type="bullet">
/// <item>the directory named by the environment variable <c>PIPELINE_STATE_DIR</c>, when set;</item>
/// <item>on Windows, <c>%LOCALAPPDATA%\Pipeline</c>;</item>
/// <item>on macOS, <c>~/Library/Application Support/Pipeline</c>;</item>
/// <item>elsewhere, <c>$XDG_STATE_HOME/pipeline</c>, or <c>~/.local/state/pipeline</c> when <c>XDG_STATE_HOME</c>
/// is unset or not an absolute path (as the XDG Base Directory specification says).</item>
/// </list>
/// The database file in that directory is <c>runs.db</c>.
/// </summary>
public static class StateLocation
{
    /// <summary>The environment variable that, when set, names the state directory.</summary>
    public const string DirectoryVariable = "PIPELINE_STATE_DIR";

    /// <summary>The file name of the run store database.</summary>
    public const string DatabaseFileName = "runs.db";

    /// <summary>The state directory for the current user and platform (not created).</summary>
    public static string GetDirectory() => ResolveDirectory(Environment.GetEnvironmentVariable, CurrentPlatform());

    /// <summary>The path of the run store database; creates its directory (private to the user on Unix) if missing.</summary>
    public static string GetDatabasePath() => GetDatabasePath(Environment.GetEnvironmentVariable, CurrentPlatform());

    /// <summary>
    /// The path of the run store database in <paramref name="directory"/> when a host was given one (a
    /// <c>--state-dir</c> or <c>-StateDirectory</c>), else in the default location; creates the directory (private
    /// to the user on Unix) if missing.
    /// </summary>
    public static string GetDatabasePath(string? directory) =>
        string.IsNullOrWhiteSpace(directory)
            ? GetDatabasePath()
            : GetDatabasePath(name => name == DirectoryVariable ? directory : Environment.GetEnvironmentVariable(name), CurrentPlatform());

    internal enum Platform
    {
        Windows,
        MacOS,
        Unix,
    }

    internal static string GetDatabasePath(Func<string, string?> environment, Platform platform)
    {
        var directory = ResolveDirectory(environment, platform);
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException(
                $"Cannot create the Pipeline state directory '{directory}': {ex.Message} " +
                $"Set {DirectoryVariable} to a directory you can write.", ex);
        }
        return Path.Combine(directory, DatabaseFileName);
    }

    internal static string ResolveDirectory(Func<string, string?> environment, Platform platform)
    {
        var chosen = environment(DirectoryVariable);
        if (!string.IsNullOrWhiteSpace(chosen)) return Path.GetFullPath(chosen);

        switch (platform)
        {
            case Platform.Windows:
                var localAppData = environment("LOCALAPPDATA");
                if (string.IsNullOrWhiteSpace(localAppData))
                {
                    localAppData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
                }
                if (string.IsNullOrWhiteSpace(localAppData)) throw NoHome("LOCALAPPDATA");
                return Path.Combine(localAppData, "Pipeline");
            case Platform.MacOS:
                return Path.Combine(Home(environment), "Library", "Application Support", "Pipeline");
            default:
                var stateHome = environment("XDG_STATE_HOME");
                return !string.IsNullOrWhiteSpace(stateHome) && Path.IsPathRooted(stateHome)
                    ? Path.Combine(stateHome, "pipeline")
                    : Path.Combine(Home(environment), ".local", "state", "pipeline");
        }
    }

    private static string Home(Func<string, string?> environment)
    {
        var home = environment("HOME");
        if (string.IsNullOrWhiteSpace(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrWhiteSpace(home)) throw NoHome("HOME");
        return home;
    }

    private static InvalidOperationException NoHome(string variable) =>
        new($"Cannot find the Pipeline state directory: {variable} is not set. Set {DirectoryVariable} to a directory for the run store.");

    private static Platform CurrentPlatform() =>
        OperatingSystem.IsWindows() ? Platform.Windows : OperatingSystem.IsMacOS() ? Platform.MacOS : Platform.Unix;
}
