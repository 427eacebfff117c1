using Pipeline.RemoteFs.Ftp;

namespace Pipeline.RemoteFs.Tests.Ftp;

/// <summary>Listing lines in the formats servers send, written from their documented output.</summary>
public sealed class FtpListParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static FtpListEntry List(string line) => FtpListParser.ParseList(line, Now) ?? throw new Xunit.Sdk.XunitException($"not parsed: {line}");

    private static FtpListEntry Mlsx(string line) => FtpListParser.ParseMlsx(line) ?? throw new Xunit.Sdk.XunitException($"not parsed: {line}");

    [Fact]
    public void Vsftpd_list_lines_are_parsed()
    {
        var file = List("-rw-r--r--    1 1001     1001      3145745 Nov 22 00:21 big file.bin");
        Assert.Equal(("big file.bin", FtpEntryKind.File, 3145745L), (file.Name, file.Kind, file.Size));
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 21, 0, TimeSpan.Zero), file.Modified);
        Assert.Equal(0b110_100_100, file.UnixMode);

        var dir = List("drwxr-xr-x    3 1001     1001         4096 Nov 22 00:21 deep");
        Assert.Equal(("deep", FtpEntryKind.Directory, 0L), (dir.Name, dir.Kind, dir.Size));
        Assert.Equal(FtpEntryKind.Current, List("drwxr-xr-x    3 1001     1001         4096 Nov 22 00:21 .").Kind);
        Assert.Equal(FtpEntryKind.Parent, List("drwxr-xr-x    3 0        0            4096 Nov 22 00:21 ..").Kind);

        var old = List("-rw-r--r--    1 1001     1001            0 Jan 05  2023 empty.txt");
        Assert.Equal(new DateTimeOffset(2023, 1, 5, 0, 0, 0, TimeSpan.Zero), old.Modified);

        var link = List("lrwxrwxrwx    1 1001     1001            8 Nov 22 00:21 link -> big file.bin");
        Assert.Equal(("link", FtpEntryKind.SymbolicLink, "big file.bin"), (link.Name, link.Kind, link.LinkTarget));
    }

    [Fact]
    public void Time_without_a_year_is_placed_in_the_last_twelve_months()
    {
        Assert.Equal(2025, List("-rw-r--r--    1 0 0 1 Dec 24 18:00 x").Modified!.Value.Year);
        Assert.Equal(2026, List("-rw-r--r--    1 0 0 1 Nov 21 18:00 x").Modified!.Value.Year);
    }

    [Fact]
    public void Proftpd_list_lines_are_parsed()
    {
        var file = List("-rw-r--r--   1 ftpuser  ftpgroup    12345 Mar  4 09:05 report.csv");
        Assert.Equal(("report.csv", 12345L), (file.Name, file.Size));
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 9, 5, 0, TimeSpan.Zero), file.Modified);
        var dir = List("drwxr-xr-x   2 ftpuser  ftpgroup     4096 Dec 31  2021 archive");
        Assert.Equal(FtpEntryKind.Directory, dir.Kind);
        Assert.Equal(2021, dir.Modified!.Value.Year);
    }

    [Fact]
    public void Pure_ftpd_list_keeps_inner_spaces_of_names()
    {
        var file = List("-rw-r--r--    1 1000       1000           123456 Mar  4 09:05 a b  c.txt");
        Assert.Equal(("a b  c.txt", 123456L), (file.Name, file.Size));
    }

    [Fact]
    public void Filezilla_server_list_lines_are_parsed()
    {
        var file = List("-rw-r--r-- 1 ftp ftp          12345 Mar 04 09:05 report.csv");
        Assert.Equal(("report.csv", 12345L), (file.Name, file.Size));
        Assert.Equal(FtpEntryKind.Directory, List("drwxr-xr-x 1 ftp ftp              0 Mar 04  2019 old").Kind);
    }

    [Fact]
    public void Listing_without_group_acl_marks_and_iso_dates_are_parsed()
    {
        Assert.Equal(("x y", 77L), Pair(List("-rw-r--r--   1 owner   77 Mar  4 09:05 x y")));
        Assert.Equal(("acl.txt", 5L), Pair(List("-rw-r--r--+  1 u g 5 Mar  4 09:05 acl.txt")));
        Assert.Equal(("selinux", 0L), Pair(List("drwxr-xr-x.  2 u g 4096 Mar  4 09:05 selinux")));
        var iso = List("-rw-r--r--  1 u g 42 2024-03-04 09:05 iso name.txt");
        Assert.Equal(("iso name.txt", 42L), Pair(iso));
        Assert.Equal(new DateTimeOffset(2024, 3, 4, 9, 5, 0, TimeSpan.Zero), iso.Modified);
        Assert.Equal(("Jan", 3L), Pair(List("-rw-r--r-- 1 u g 3 Mar  4 09:05 Jan")));
        Assert.Equal(("2024 report", 3L), Pair(List("-rw-r--r-- 1 u g 3 Mar  4 2023 2024 report")));

        static (string, long) Pair(FtpListEntry e) => (e.Name, e.Size);
    }

    [Fact]
    public void Setuid_sticky_and_device_entries_are_understood()
    {
        Assert.Equal(0b100_111_101_101, List("-rwsr-xr-x 1 root root 1000 Mar  4 09:05 sudo").UnixMode);
        Assert.Equal(0b001_111_111_111, List("drwxrwxrwt 1 root root 4096 Mar  4 09:05 tmp").UnixMode);
        Assert.Equal(FtpEntryKind.Other, List("crw-rw-rw- 1 root root 1, 3 Mar  4 09:05 null").Kind);
    }

    [Theory]
    [InlineData("total 24")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("this is not a listing")]
    public void Lines_that_describe_nothing_are_skipped(string line) => Assert.Null(FtpListParser.ParseList(line, Now));

    [Fact]
    public void Iis_dos_style_lines_are_parsed()
    {
        var dir = List("03-04-24  09:05AM       <DIR>          My Documents");
        Assert.Equal(("My Documents", FtpEntryKind.Directory), (dir.Name, dir.Kind));
        Assert.Equal(new DateTimeOffset(2024, 3, 4, 9, 5, 0, TimeSpan.Zero), dir.Modified);
        var file = List("03-04-24  01:15PM                12345 report 2024.csv");
        Assert.Equal(("report 2024.csv", FtpEntryKind.File, 12345L), (file.Name, file.Kind, file.Size));
        Assert.Equal(13, file.Modified!.Value.Hour);
        var fourDigits = List("12-31-2021  12:00AM                    0 empty.txt");
        Assert.Equal(new DateTimeOffset(2021, 12, 31, 0, 0, 0, TimeSpan.Zero), fourDigits.Modified);
        var noon = List("12-31-2021  12:30PM                    1 noon.txt");
        Assert.Equal(12, noon.Modified!.Value.Hour);
        var h24 = List("07-15-2025  17:45                     9 h24.txt");
        Assert.Equal(17, h24.Modified!.Value.Hour);
    }

    [Fact]
    public void Proftpd_mlsd_facts_are_parsed()
    {
        var file = Mlsx("modify=20240304090512;perm=adfrw;size=12345;type=file;unique=FD00U1234;UNIX.group=1000;UNIX.groupname=ftpgroup;UNIX.mode=0644;UNIX.owner=1000;UNIX.ownername=ftpuser; report.csv");
        Assert.Equal(("report.csv", FtpEntryKind.File, 12345L, 0b110_100_100), (file.Name, file.Kind, file.Size, file.UnixMode));
        Assert.Equal(new DateTimeOffset(2024, 3, 4, 9, 5, 12, TimeSpan.Zero), file.Modified);
        Assert.Equal(FtpEntryKind.Directory, Mlsx("modify=20211231000000;perm=flcdmpe;type=dir;unique=FD00U1235;UNIX.mode=0755; archive").Kind);
        Assert.Equal(FtpEntryKind.Current, Mlsx("modify=20240304090512;perm=flcdmpe;type=cdir;unique=FD00U1;UNIX.mode=0755; .").Kind);
        Assert.Equal(FtpEntryKind.Parent, Mlsx("modify=20240304090512;perm=flcdmpe;type=pdir;unique=FD00U0;UNIX.mode=0755; ..").Kind);
        var link = Mlsx("modify=20240304090512;perm=adfrw;size=9;type=OS.unix=slink:/srv/target;UNIX.mode=0777; link");
        Assert.Equal((FtpEntryKind.SymbolicLink, "/srv/target"), (link.Kind, link.LinkTarget));
    }

    [Fact]
    public void Pure_ftpd_mlsd_facts_are_parsed_with_sizd_and_spaces_in_names()
    {
        var dir = Mlsx("type=cdir;sizd=4096;modify=20240304090500;UNIX.mode=0755;UNIX.uid=1000;UNIX.gid=1000;unique=803g1a2b; .");
        Assert.Equal((FtpEntryKind.Current, 0L), (dir.Kind, dir.Size));
        var file = Mlsx("type=file;size=123456;modify=20240304090500;UNIX.mode=0644;UNIX.uid=1000;UNIX.gid=1000;unique=803g1a2c; a b  c.txt");
        Assert.Equal(("a b  c.txt", 123456L), (file.Name, file.Size));
    }

    [Fact]
    public void Filezilla_server_mlsd_with_fractional_seconds_is_parsed()
    {
        var file = Mlsx("type=file;size=12345;modify=20240304090512.123;perm=awrfd; report.csv");
        Assert.Equal(new DateTimeOffset(2024, 3, 4, 9, 5, 12, 123, TimeSpan.Zero), file.Modified);
        var dir = Mlsx("type=dir;modify=20240304090512;perm=cplemfd; sub dir");
        Assert.Equal(("sub dir", FtpEntryKind.Directory), (dir.Name, dir.Kind));
    }

    [Fact]
    public void Iis_mlsd_with_upper_case_facts_and_windows_types_is_parsed()
    {
        var file = Mlsx("Type=file;Size=100;Modify=20240304090512.000; Readme.TXT");
        Assert.Equal(("Readme.TXT", FtpEntryKind.File, 100L), (file.Name, file.Kind, file.Size));
        Assert.Equal(FtpEntryKind.Other, Mlsx("type=OS.win=device;size=0; con").Kind);
    }

    [Fact]
    public void Mlsx_line_without_facts_still_names_the_entry_and_a_line_without_name_is_skipped()
    {
        Assert.Equal("bare", Mlsx(" bare").Name);
        Assert.Null(FtpListParser.ParseMlsx("type=file;size=1;"));
    }

    [Theory]
    [InlineData("20240304090512", 2024, 3, 4, 9, 5, 12)]
    [InlineData("19991231235959.5", 1999, 12, 31, 23, 59, 59)]
    public void Time_val_is_utc(string text, int y, int mo, int d, int h, int mi, int s)
    {
        var time = FtpListParser.ParseTimeVal(text)!.Value;
        Assert.Equal(new DateTimeOffset(y, mo, d, h, mi, s, TimeSpan.Zero), new DateTimeOffset(time.Year, time.Month, time.Day, time.Hour, time.Minute, time.Second, TimeSpan.Zero));
        Assert.Equal(TimeSpan.Zero, time.Offset);
    }

    [Theory]
    [InlineData("2024")]
    [InlineData("20241304090512")]
    [InlineData("notatime000000")]
    public void Bad_time_val_gives_no_time(string text) => Assert.Null(FtpListParser.ParseTimeVal(text));
}
