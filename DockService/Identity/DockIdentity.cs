using System.Text.Json;
using Dock.Crypto.Hashing;
using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.Service.Configuration;

namespace Dock.Service.Identity;

/// <summary>
/// The dock's Ed25519 identity and the agency's endorsement of it, which recorders require before
/// they release any clip byte (docklink-v1.md §7).
/// </summary>
public sealed class DockIdentity : IDockCredential, IDisposable
{
    private readonly Ed25519Key _key;
    private readonly byte[] _endorsement;

    private DockIdentity(Ed25519Key key, string dockId, byte[] endorsement)
    {
        _key = key;
        DockId = dockId;
        _endorsement = endorsement;
    }

    public string DockId { get; }
    public ReadOnlyMemory<byte> PublicKey => _key.PublicKey;
    public ReadOnlyMemory<byte> Endorsement => _endorsement;
    public byte[] Sign(ReadOnlySpan<byte> message) => _key.Sign(message);

    /// <summary>The key itself, for signing custody checkpoints and manifests. Never logged or exported privately.</summary>
    internal Ed25519Key SigningKey => _key;

    /// <summary>The id a dock gets when configuration names none: stable, derived from its key.</summary>
    public static string DefaultDockId(ReadOnlySpan<byte> publicKey) => "dock-" + Ed25519Key.Fingerprint(publicKey)[..12];

    /// <summary>
    /// The dock's id when configuration names none: the one pinned in "dock.id" beside the key (written
    /// when the key is rotated, so the dock and its custody log keep their name), else derived from the key.
    /// </summary>
    public static string DockIdFor(DockPaths paths, ReadOnlySpan<byte> publicKey)
    {
        var file = PinnedIdFile(paths);
        if (File.Exists(file) && new FileInfo(file).Length <= 128 && File.ReadAllText(file).Trim() is var pinned && Identifier.IsValid(pinned))
            return pinned;
        return DefaultDockId(publicKey);
    }

    public static string PinnedIdFile(DockPaths paths) => Path.Combine(Path.GetDirectoryName(paths.KeyFile)!, "dock.id");

    /// <summary>Loads the key (creating it on first start) and its endorsement. <paramref name="requireEndorsement"/> is false for
    /// a dock whose bays are all mass-storage recorders: they check no dock (recorder-command-channel-v1.md §6), so the agency's
    /// endorsement, which only DockLink recorders ask for, is not needed (its custody log and manifests are signed all the same).</summary>
    public static DockIdentity Load(DockPaths paths, string? configuredDockId, bool requireEndorsement = true)
    {
        var key = DockKey.Load(paths, create: true);
        try
        {
            var dockId = configuredDockId ?? DockEndorsement.PeekDockId(paths.EndorsementFile) ?? DockIdFor(paths, key.PublicKey);
            var endorsement = requireEndorsement || File.Exists(paths.EndorsementFile)
                ? DockEndorsement.Read(paths.EndorsementFile, dockId, key.PublicKey)
                : [];
            return new DockIdentity(key, dockId, endorsement);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>The agency's signature over (dock id, dock key), as a small JSON file the installer copies to the dock.</summary>
public static class DockEndorsement
{
    private sealed record EndorsementFile(string DockId, string DockKey, string AgencyKey, string Signature);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Signs (dock id, dock key) with the agency key and writes the endorsement file.</summary>
    public static void Write(string path, Ed25519Key agency, string dockId, ReadOnlySpan<byte> dockKey)
    {
        Identifier.Require(dockId, "dock id");
        var signature = agency.Sign(AuthTranscript.EndorsementMessage(dockId, dockKey));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(new EndorsementFile(dockId, Convert.ToHexStringLower(dockKey),
            Convert.ToHexStringLower(agency.PublicKey), Convert.ToHexStringLower(signature)), Json));
    }

    /// <summary>The dock id an endorsement file names, without checking it (null if there is no readable file).</summary>
    public static string? PeekDockId(string path)
    {
        try
        {
            if (!File.Exists(path) || new FileInfo(path).Length > 64 * 1024) return null;
            var id = JsonSerializer.Deserialize<EndorsementFile>(File.ReadAllText(path), Json)?.DockId;
            return Identifier.IsValid(id) ? id : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads and checks an endorsement for this dock. Every failure says what to do.</summary>
    public static byte[] Read(string path, string dockId, ReadOnlySpan<byte> dockKey)
    {
        if (!File.Exists(path))
            throw new IdentityException($"The dock key is not endorsed by an agency: {path} does not exist. " +
                "Endorse it with `dock keys endorse --agency-key AGENCY.key` (dock-sim prints its agency key file).");
        EndorsementFile? file;
        try
        {
            if (new FileInfo(path).Length > 64 * 1024) throw new JsonException("file too large");
            file = JsonSerializer.Deserialize<EndorsementFile>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new IdentityException($"The endorsement {path} is not valid JSON ({ex.Message}). Endorse the dock again.", ex);
        }
        if (file is null || !Hex.TryParse(file.DockKey, 32, out var key) || !Hex.TryParse(file.AgencyKey, 32, out var agency)
            || !Hex.TryParse(file.Signature, 64, out var signature))
            throw new IdentityException($"The endorsement {path} is missing fields or has malformed hex. Endorse the dock again.");
        if (file.DockId != dockId || !key.AsSpan().SequenceEqual(dockKey))
            throw new IdentityException($"The endorsement {path} is for dock '{file.DockId}' with another key, not this dock ('{dockId}'). " +
                "The key or the dock id changed: endorse the dock again.");
        if (!Ed25519Key.Verify(agency, AuthTranscript.EndorsementMessage(dockId, dockKey), signature))
            throw new IdentityException($"The endorsement {path} has a signature that does not verify. Endorse the dock again.");
        return signature;
    }
}

/// <summary>The dock's identity cannot be used: no endorsement, a corrupt key file, a mismatch.</summary>
public sealed class IdentityException(string message, Exception? inner = null) : Exception(message, inner);
