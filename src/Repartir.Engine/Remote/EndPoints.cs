using System.Net;

namespace Repartir.Remote;

/// <summary>Network addresses as people write them on command lines and in scripts.</summary>
public static class EndPoints
{
    /// <summary>Parses <c>HOST:PORT</c>, <c>[IPv6]:PORT</c> or a bare port (on loopback); a host name is resolved.</summary>
    /// <param name="text">What the user typed.</param>
    /// <param name="endPoint">The address, when it parsed.</param>
    /// <param name="error">Why it did not, for people.</param>
    public static bool TryParse(string text, out IPEndPoint? endPoint, out string? error)
    {
        endPoint = null;
        error = null;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int portOnly))
        {
            text = "127.0.0.1:" + portOnly.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // IPEndPoint.TryParse also accepts a bare address (port 0): require the port to be written out.
        if (IPEndPoint.TryParse(text, out IPEndPoint? parsed) && text.EndsWith(":" + parsed.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))
        {
            endPoint = parsed;
            return true;
        }

        int colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) && port <= 65535)
        {
            string host = text[..colon];
            try
            {
                IPAddress[] addresses = Dns.GetHostAddresses(host);
                IPAddress? address = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
                if (address is not null)
                {
                    endPoint = new IPEndPoint(address, port);
                    return true;
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Reported below.
            }

            error = $"'{host}' is not an address or a name this machine can resolve.";
            return false;
        }

        error = $"'{text}' is not HOST:PORT (for example 127.0.0.1:9000 or [::1]:9000).";
        return false;
    }

    /// <summary>The host part of an address as written (<c>node1</c>, <c>10.0.0.5</c>, <c>::1</c>): the name a worker's certificate must hold.</summary>
    public static string HostOf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            return "127.0.0.1";
        }

        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon] : text;
        return host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
    }
}
