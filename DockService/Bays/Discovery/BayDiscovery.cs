namespace Dock.Service.Bays.Discovery;

public enum BayChangeKind
{
    /// <summary>A recorder was docked in the bay.</summary>
    Docked,
    /// <summary>The recorder left the bay (unplugged, possibly mid-transfer).</summary>
    Removed,
}

public sealed record BayChange(string BayId, BayChangeKind Kind, UsbDevice Device);

/// <summary>
/// Which recorder sits in which bay: bays are bound to physical USB port paths in configuration, so two
/// identical cameras in two bays are told apart by where they sit, not by what they are. Each scan is
/// compared with the last; a recorder moved to another bay is a removal from one and a docking in the other.
/// </summary>
public sealed class BayDiscovery(IReadOnlyDictionary<string, string> portToBay, SysfsUsbScanner scanner)
{
    private Dictionary<string, UsbDevice> _last = new(StringComparer.Ordinal);

    /// <summary>What is in each configured bay now.</summary>
    public IReadOnlyDictionary<string, UsbDevice> Current => _last;

    public IReadOnlyList<BayChange> Poll()
    {
        var now = new Dictionary<string, UsbDevice>(StringComparer.Ordinal);
        foreach (var device in scanner.Scan())
            if (portToBay.TryGetValue(device.PortPath, out var bay)) now[bay] = device;
        var changes = new List<BayChange>();
        foreach (var (bay, old) in _last)
            if (!now.TryGetValue(bay, out var current) || !SameRecorder(old, current)) changes.Add(new BayChange(bay, BayChangeKind.Removed, old));
        foreach (var (bay, device) in now)
            if (!_last.TryGetValue(bay, out var old) || !SameRecorder(old, device)) changes.Add(new BayChange(bay, BayChangeKind.Docked, device));
        _last = now;
        return changes;
    }

    private static bool SameRecorder(UsbDevice a, UsbDevice b) => a.VendorId == b.VendorId && a.ProductId == b.ProductId && a.Serial == b.Serial;
}
