using Dock.Crypto.Hashing;
using Dock.DeviceProtocol.Messages;

namespace Dock.Service.Enrolment;

/// <summary>
/// The enrolment list an equipment manager hands to a dock: one recorder per line,
/// "SERIAL PUBLIC-KEY-HEX" (64 hex digits, the raw Ed25519 key) or "SERIAL keyless" (a mass-storage recorder,
/// trusted by its claimed serial), '#' starts a comment.
/// dock-sim writes one for its recorders; a vendor's provisioning tool would write the same.
/// </summary>
public static class EnrolmentFile
{
    public const long MaxBytes = 4 * 1024 * 1024;

    public static IReadOnlyList<(string Serial, byte[] PublicKey)> Read(string path)
    {
        if (!File.Exists(path)) throw new Catalog.EnrolmentException($"The enrolment file {path} does not exist.");
        if (new FileInfo(path).Length > MaxBytes)
            throw new Catalog.EnrolmentException($"The enrolment file {path} is larger than {MaxBytes / (1024 * 1024)} MiB; split it.");
        return Parse(File.ReadAllLines(path), path);
    }

    public static IReadOnlyList<(string Serial, byte[] PublicKey)> Parse(IEnumerable<string> lines, string name)
    {
        var entries = new List<(string, byte[])>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Split('#', 2)[0].Trim();
            if (line.Length == 0) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new Catalog.EnrolmentException($"{name}:{number}: expected 'SERIAL PUBLIC-KEY-HEX', found {parts.Length} field(s).");
            if (!Identifier.IsValid(parts[0]))
                throw new Catalog.EnrolmentException($"{name}:{number}: '{parts[0]}' is not a valid serial (1-64 of A-Z a-z 0-9 . _ -).");
            byte[] key = [];
            if (parts[1] != "keyless" && !Hex.TryParse(parts[1], 32, out key))
                throw new Catalog.EnrolmentException($"{name}:{number}: the key for {parts[0]} is not 64 hex digits (a raw Ed25519 public key) or 'keyless'.");
            if (!seen.Add(parts[0]))
                throw new Catalog.EnrolmentException($"{name}:{number}: {parts[0]} is listed twice.");
            entries.Add((parts[0], key));
        }
        return entries;
    }

    public static string Format(IEnumerable<(string Serial, byte[] PublicKey)> recorders) =>
        "# Dock recorder enrolment list: SERIAL ED25519-PUBLIC-KEY-HEX\n" +
        string.Concat(recorders.Select(r => $"{r.Serial} {(r.PublicKey.Length == 0 ? "keyless" : Convert.ToHexStringLower(r.PublicKey))}\n"));
}
