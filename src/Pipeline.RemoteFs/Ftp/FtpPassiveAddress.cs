using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>Reads the replies to PASV (RFC 959) and EPSV (RFC 2428), and writes the arguments of PORT and EPRT.</summary>
internal static partial class FtpPassiveAddress
{
    [GeneratedRegex(@"(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})")]
    private static partial Regex PasvNumbers();

    /// <summary>The address and port of a <c>227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)</c> reply.</summary>
    /// <exception cref="RemoteFsException">The reply holds no such six numbers (<see cref="RemoteErrorKind.Protocol"/>).</exception>
    public static IPEndPoint ParsePasv(FtpReply reply)
    {
        var match = PasvNumbers().Match(reply.Text);
        if (match.Success)
        {
            var parts = Enumerable.Range(1, 6).Select(i => int.Parse(match.Groups[i].Value, CultureInfo.InvariantCulture)).ToArray();
            if (parts.All(p => p <= 255))
                return new IPEndPoint(new IPAddress(parts[..4].Select(p => (byte)p).ToArray()), parts[4] * 256 + parts[5]);
        }
        throw new RemoteFsException(RemoteErrorKind.Protocol, $"The server's PASV reply '{FtpReplyReader.Quote(reply.ToString())}' holds no address");
    }

    /// <summary>The port of a <c>229 Entering Extended Passive Mode (|||port|)</c> reply (any delimiter from ! to ~).</summary>
    /// <exception cref="RemoteFsException">The reply holds no such port (<see cref="RemoteErrorKind.Protocol"/>).</exception>
    public static int ParseEpsv(FtpReply reply)
    {
        var text = reply.Text;
        var open = text.IndexOf('(');
        var close = open < 0 ? -1 : text.IndexOf(')', open);
        if (close > open + 4)
        {
            var inner = text[(open + 1)..close];
            var d = inner[0];
            if (d is >= '!' and <= '~' && inner.Length >= 5 && inner[1] == d && inner[2] == d && inner[^1] == d &&
                int.TryParse(inner[3..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
                return port;
        }
        throw new RemoteFsException(RemoteErrorKind.Protocol, $"The server's EPSV reply '{FtpReplyReader.Quote(reply.ToString())}' holds no port");
    }

    /// <summary>
    /// Where to open a passive data connection. A server behind NAT often announces its private address in PASV;
    /// an announced address that is private or unroutable and not the control connection's peer is replaced by the
    /// control connection's peer address.
    /// </summary>
    public static IPAddress Choose(IPAddress announced, IPAddress controlPeer) =>
        IsUnroutable(announced) && !announced.Equals(controlPeer) ? controlPeer : announced;

    /// <summary>Whether an address is private, loopback, link-local, shared (CGNAT) or unspecified.</summary>
    public static bool IsUnroutable(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return true;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] == 0 || b[0] == 10 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168) ||
                   (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] is >= 64 and <= 127);
        }
        return address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal;
    }

    /// <summary>The argument of <c>EPRT</c>: <c>|1|127.0.0.1|5000|</c> or <c>|2|::1|5000|</c>.</summary>
    public static string EprtArgument(IPEndPoint endPoint) =>
        $"|{(endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? 2 : 1)}|{endPoint.Address}|{endPoint.Port}|";

    /// <summary>The argument of <c>PORT</c>: <c>h1,h2,h3,h4,p1,p2</c> (IPv4 only).</summary>
    public static string PortArgument(IPEndPoint endPoint)
    {
        var b = endPoint.Address.GetAddressBytes();
        return string.Create(CultureInfo.InvariantCulture, $"{b[0]},{b[1]},{b[2]},{b[3]},{endPoint.Port / 256},{endPoint.Port % 256}");
    }
}
