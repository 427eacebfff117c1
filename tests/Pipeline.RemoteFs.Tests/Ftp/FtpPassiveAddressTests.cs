using System.Net;
using Pipeline.RemoteFs.Ftp;

namespace Pipeline.RemoteFs.Tests.Ftp;

public sealed class FtpPassiveAddressTests
{
    private static FtpReply Reply(string line) => new(int.Parse(line[..3]), [line]);

    [Theory]
    [InlineData("227 Entering Passive Mode (192,0,2,7,19,137).", "192.0.2.7", 5001)]
    [InlineData("227 Entering Passive Mode 127,0,0,1,200,10", "127.0.0.1", 51210)]
    [InlineData("227 =10,1,2,3,0,21", "10.1.2.3", 21)]
    public void Pasv_reply_gives_address_and_port(string line, string address, int port)
    {
        var endPoint = FtpPassiveAddress.ParsePasv(Reply(line));
        Assert.Equal(IPAddress.Parse(address), endPoint.Address);
        Assert.Equal(port, endPoint.Port);
    }

    [Theory]
    [InlineData("229 Entering Extended Passive Mode (|||6446|)", 6446)]
    [InlineData("229 EPSV ok (!!!50000!)", 50000)]
    public void Epsv_reply_gives_the_port(string line, int port) => Assert.Equal(port, FtpPassiveAddress.ParseEpsv(Reply(line)));

    [Theory]
    [InlineData("227 Entering Passive Mode.")]
    [InlineData("227 Entering Passive Mode (300,0,0,1,1,1)")]
    [InlineData("229 Entering Extended Passive Mode (|||99999|)")]
    [InlineData("229 Entering Extended Passive Mode (6446)")]
    public void Reply_without_an_address_is_a_protocol_error(string line)
    {
        var reply = Reply(line);
        var ex = Assert.Throws<RemoteFsException>(() => { if (reply.Code == 227) FtpPassiveAddress.ParsePasv(reply); else FtpPassiveAddress.ParseEpsv(reply); });
        Assert.Equal(RemoteErrorKind.Protocol, ex.Kind);
        Assert.Contains(line, ex.Message);
    }

    [Theory]
    [InlineData("10.0.0.5", "203.0.113.9", "203.0.113.9")] // NAT: private address announced, public control peer
    [InlineData("192.168.1.20", "203.0.113.9", "203.0.113.9")]
    [InlineData("172.20.0.1", "203.0.113.9", "203.0.113.9")]
    [InlineData("0.0.0.0", "198.51.100.1", "198.51.100.1")]
    [InlineData("127.0.0.1", "127.0.0.1", "127.0.0.1")]
    [InlineData("192.168.1.20", "192.168.1.20", "192.168.1.20")]
    [InlineData("198.51.100.77", "203.0.113.9", "198.51.100.77")] // a public address is taken as announced
    public void Private_pasv_address_gives_way_to_the_control_connections_peer(string announced, string peer, string expected) =>
        Assert.Equal(IPAddress.Parse(expected), FtpPassiveAddress.Choose(IPAddress.Parse(announced), IPAddress.Parse(peer)));

    [Fact]
    public void Port_and_eprt_arguments_are_formatted()
    {
        Assert.Equal("127,0,0,1,195,80", FtpPassiveAddress.PortArgument(new IPEndPoint(IPAddress.Loopback, 50000)));
        Assert.Equal("|1|127.0.0.1|50000|", FtpPassiveAddress.EprtArgument(new IPEndPoint(IPAddress.Loopback, 50000)));
        Assert.Equal("|2|::1|50000|", FtpPassiveAddress.EprtArgument(new IPEndPoint(IPAddress.IPv6Loopback, 50000)));
    }
}
