using Pipeline.Core.State;
using static Pipeline.Core.State.StateLocation;

namespace Pipeline.Core.Tests.State;

public sealed class StateLocationTests
{
    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void State_directory_variable_wins_on_every_platform()
    {
        var chosen = Path.Combine(Path.GetTempPath(), "chosen");
        var environment = Environment(("PIPELINE_STATE_DIR", chosen), ("HOME", "/home/ann"), ("XDG_STATE_HOME", "/xdg"), ("LOCALAPPDATA", @"C:\Users\ann\AppData\Local"));

        foreach (var platform in Enum.GetValues<Platform>())
        {
            Assert.Equal(chosen, ResolveDirectory(environment, platform));
        }
    }

    [Fact]
    public void Relative_state_directory_variable_is_made_absolute()
    {
        var resolved = ResolveDirectory(Environment(("PIPELINE_STATE_DIR", "state")), Platform.Unix);

        Assert.Equal(Path.GetFullPath("state"), resolved);
    }

    [Fact]
    public void Windows_uses_local_app_data()
    {
        var resolved = ResolveDirectory(Environment(("LOCALAPPDATA", @"C:\Users\ann\AppData\Local")), Platform.Windows);

        Assert.Equal(Path.Combine(@"C:\Users\ann\AppData\Local", "Pipeline"), resolved);
    }

    [Fact]
    public void MacOS_uses_application_support()
    {
        var resolved = ResolveDirectory(Environment(("HOME", "/Users/ann")), Platform.MacOS);

        Assert.Equal(Path.Combine("/Users/ann", "Library", "Application Support", "Pipeline"), resolved);
    }

    [Fact]
    public void Linux_uses_xdg_state_home()
    {
        var resolved = ResolveDirectory(Environment(("HOME", "/home/ann"), ("XDG_STATE_HOME", "/var/state/ann")), Platform.Unix);

        Assert.Equal(Path.Combine("/var/state/ann", "pipeline"), resolved);
    }

    [Fact]
    public void Linux_falls_back_to_local_state_in_home_when_xdg_state_home_is_unset_or_relative()
    {
        var expected = Path.Combine("/home/ann", ".local", "state", "pipeline");

        Assert.Equal(expected, ResolveDirectory(Environment(("HOME", "/home/ann")), Platform.Unix));
        Assert.Equal(expected, ResolveDirectory(Environment(("HOME", "/home/ann"), ("XDG_STATE_HOME", "")), Platform.Unix));
        Assert.Equal(expected, ResolveDirectory(Environment(("HOME", "/home/ann"), ("XDG_STATE_HOME", "relative/state")), Platform.Unix));
    }

    [Fact]
    public void Database_path_is_runs_db_in_a_directory_that_is_created()
    {
        var directory = Path.Combine(Path.GetTempPath(), "pipeline-state-" + Guid.NewGuid().ToString("N"), "nested");
        try
        {
            var path = GetDatabasePath(Environment(("PIPELINE_STATE_DIR", directory)), Platform.Unix);

            Assert.Equal(Path.Combine(directory, "runs.db"), path);
            Assert.True(Directory.Exists(directory));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
        }
    }

    [Fact]
    public void Database_path_in_a_directory_given_by_the_host_is_created_there()
    {
        var directory = Path.Combine(Path.GetTempPath(), "pipeline-state-" + Guid.NewGuid().ToString("N"), "given");
        try
        {
            var path = GetDatabasePath(directory);

            Assert.Equal(Path.Combine(directory, "runs.db"), path);
            Assert.True(Directory.Exists(directory));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
        }
    }

    [Fact]
    public void Location_on_this_machine_is_an_absolute_path()
    {
        Assert.True(Path.IsPathRooted(GetDirectory()));
    }
}
