using System.Security.Cryptography;
using System.Text;

namespace Pipeline.RemoteFs.Tests.Azure;

/// <summary>
/// Makes an account SAS for the tests (the provider only consumes SAS tokens): the string-to-sign of service
/// versions before 2020-12-06 — account, permissions, services, resource types, start, expiry, IP, protocol, version.
/// </summary>
internal static class AccountSas
{
    public static string Create(string account, string base64Key)
    {
        const string permissions = "racwdl", services = "b", resourceTypes = "sco", version = "2019-12-12", protocol = "https,http";
        var expiry = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var toSign = $"{account}\n{permissions}\n{services}\n{resourceTypes}\n\n{expiry}\n\n{protocol}\n{version}\n";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(base64Key), Encoding.UTF8.GetBytes(toSign)));
        return $"sv={version}&ss={services}&srt={resourceTypes}&sp={permissions}&se={Uri.EscapeDataString(expiry)}&spr={Uri.EscapeDataString(protocol)}&sig={Uri.EscapeDataString(signature)}";
    }
}
