using System.Globalization;
using System.Net;

namespace Dock.Service.Bays.Discovery;

/// <summary>
/// The address of a recorder that presents as a USB network card (CDC-ECM/NCM, RNDIS). Such cameras run a
/// small DHCP server on their side of the link and hand the dock an address with themselves as the gateway;
/// others only answer ARP. So the recorder is the IPv4 gateway routed through the bay's interface, else the
/// one complete neighbour on it. Read from the kernel's tables under /proc (tests point at a fake).
/// </summary>
public static class NetworkPeer
{
    private const long MaxBytes = 1024 * 1024;

    public static IPAddress? Find(string procRoot, string netInterface) =>
        GatewayOn(Path.Combine(procRoot, "net", "route"), netInterface) ?? NeighbourOn(Path.Combine(procRoot, "net", "arp"), netInterface);

    /// <summary>/proc/net/route: "Iface Destination Gateway Flags …", addresses in little-endian hex; RTF_GATEWAY = 0x2.</summary>
    public static IPAddress? GatewayOn(string routeFile, string netInterface)
    {
        foreach (var fields in Rows(routeFile))
        {
            if (fields.Length < 4 || fields[0] != netInterface) continue;
            if (!uint.TryParse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var gateway) || gateway == 0) continue;
            if (!int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags) || (flags & 0x2) == 0) continue;
            return new IPAddress(gateway); // The kernel's bytes are already in network order when read as little-endian.
        }
        return null;
    }

    /// <summary>/proc/net/arp: "IP HW-type Flags HW-address Mask Device"; ATF_COM = 0x2 marks a complete entry.</summary>
    public static IPAddress? NeighbourOn(string arpFile, string netInterface)
    {
        foreach (var fields in Rows(arpFile))
        {
            if (fields.Length < 6 || fields[5] != netInterface) continue;
            if (!int.TryParse(fields[2].Replace("0x", "", StringComparison.Ordinal), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags)
                || (flags & 0x2) == 0) continue;
            if (IPAddress.TryParse(fields[0], out var address)) return address;
        }
        return null;
    }

    private static IEnumerable<string[]> Rows(string file)
    {
        string[] lines;
        try
        {
            if (!File.Exists(file) || new FileInfo(file).Length > MaxBytes) return [];
            lines = File.ReadAllLines(file);
        }
        catch (IOException)
        {
            return [];
        }
        return lines.Skip(1).Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }
}
