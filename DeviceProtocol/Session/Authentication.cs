using System.Buffers.Binary;
using System.Security.Cryptography;
using Dock.DeviceProtocol.Messages;
using System.Text;
using NSec.Cryptography;
using IncrementalHash = System.Security.Cryptography.IncrementalHash;

namespace Dock.DeviceProtocol.Session;

/// <summary>The dock's side of authentication: an Ed25519 key the agency has endorsed. Key storage is the caller's.</summary>
public interface IDockCredential
{
    string DockId { get; }
    /// <summary>32-byte raw Ed25519 public key.</summary>
    ReadOnlyMemory<byte> PublicKey { get; }
    /// <summary>The agency's signature over <see cref="AuthTranscript.EndorsementMessage"/>; empty when the agency issued only an
    /// expiring one.</summary>
    ReadOnlyMemory<byte> Endorsement { get; }
    /// <summary>The v1.1 endorsement (agency key id, expiry, signature over <see cref="AuthTranscript.EndorsementMessageV11"/>),
    /// if the agency issued one. Sent as method 2 to recorders that offer it.</summary>
    ExpiringEndorsement? ExpiringEndorsement => null;
    byte[] Sign(ReadOnlySpan<byte> message);
}

/// <summary>A v1.1 endorsement: its terms and the agency's signature over them (docklink-v1.md §7.2).</summary>
public sealed record ExpiringEndorsement(EndorsementTerms Terms, byte[] Signature);

/// <summary>The recorder's identity key.</summary>
public interface IRecorderCredential
{
    ReadOnlyMemory<byte> PublicKey { get; }
    byte[] Sign(ReadOnlySpan<byte> message);
}

/// <summary>
/// The byte strings both sides sign and verify (docklink-v1.md §7). Each starts with a distinct
/// context label so a signature made for one purpose can never be replayed as another.
/// </summary>
public static class AuthTranscript
{
    private static readonly byte[] TranscriptLabel = Encoding.ASCII.GetBytes("DockLink-v1 transcript\0");
    private static readonly byte[] HostLabel = Encoding.ASCII.GetBytes("DockLink-v1 host\0");
    private static readonly byte[] DeviceLabel = Encoding.ASCII.GetBytes("DockLink-v1 device\0");
    private static readonly byte[] EndorseLabel = Encoding.ASCII.GetBytes("DockLink-v1 endorse\0");
    private static readonly byte[] EndorseV11Label = Encoding.ASCII.GetBytes("DockLink-v1.1 endorse\0");

    /// <summary>T = SHA-256(label ‖ version ‖ host_nonce ‖ device_nonce ‖ str(serial) ‖ str(dock_id) ‖ dock_key).</summary>
    public static byte[] Transcript(byte version, ReadOnlySpan<byte> hostNonce, ReadOnlySpan<byte> deviceNonce,
        string serial, string dockId, ReadOnlySpan<byte> dockKey)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(TranscriptLabel);
        hash.AppendData([version]);
        hash.AppendData(hostNonce);
        hash.AppendData(deviceNonce);
        AppendStr(hash, serial);
        AppendStr(hash, dockId);
        hash.AppendData(dockKey);
        return hash.GetHashAndReset();
    }

    public static byte[] HostMessage(ReadOnlySpan<byte> transcript) => [.. HostLabel, .. transcript];

    public static byte[] DeviceMessage(ReadOnlySpan<byte> transcript, ReadOnlySpan<byte> deviceKey) =>
        [.. DeviceLabel, .. transcript, .. deviceKey];

    /// <summary>What the agency signs to endorse a dock key: label ‖ str(dock_id) ‖ dock_key.</summary>
    public static byte[] EndorsementMessage(string dockId, ReadOnlySpan<byte> dockKey)
    {
        var id = Encoding.ASCII.GetBytes(dockId);
        return [.. EndorseLabel, (byte)id.Length, .. id, .. dockKey];
    }

    /// <summary>What the agency signs for a v1.1 endorsement: label ‖ agency_key_id ‖ str(dock_id) ‖ dock_key ‖ i64(not_after).</summary>
    public static byte[] EndorsementMessageV11(string dockId, ReadOnlySpan<byte> dockKey, EndorsementTerms terms)
    {
        var id = Encoding.ASCII.GetBytes(dockId);
        var notAfter = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(notAfter, terms.NotAfterMs);
        return [.. EndorseV11Label, .. terms.AgencyKeyId, (byte)id.Length, .. id, .. dockKey, .. notAfter];
    }

    /// <summary>An agency key's id: the first 8 bytes of SHA-256 of its raw public key. A recorder finds the key to check by it.</summary>
    public static byte[] AgencyKeyId(ReadOnlySpan<byte> agencyPublicKey) =>
        SHA256.HashData(agencyPublicKey)[..EndorsementTerms.KeyIdSize];

    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64) return false;
        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
            return false;
        return SignatureAlgorithm.Ed25519.Verify(key, message, signature);
    }

    private static void AppendStr(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        hash.AppendData([(byte)bytes.Length]);
        hash.AppendData(bytes);
    }
}
