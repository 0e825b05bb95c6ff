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
    private volatile Endorsements _endorsements;

    private DockIdentity(Ed25519Key key, string dockId, Endorsements endorsements)
    {
        _key = key;
        DockId = dockId;
        _endorsements = endorsements;
    }

    public string DockId { get; }
    public ReadOnlyMemory<byte> PublicKey => _key.PublicKey;
    public ReadOnlyMemory<byte> Endorsement => _endorsements.V1;
    public ExpiringEndorsement? ExpiringEndorsement => _endorsements.Expiring;

    /// <summary>What the agency issued, as last read.</summary>
    public Endorsements Endorsements => _endorsements;

    /// <summary>Reads the endorsement file again (renewed by `dock keys endorse` while the dock runs); the next handshake uses it.
    /// A file that does not check out leaves the one in use.</summary>
    public Endorsements Reload(DockPaths paths)
    {
        _endorsements = DockEndorsement.Read(paths.EndorsementFile, DockId, _key.PublicKey);
        return _endorsements;
    }
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
                : Endorsements.None;
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

/// <summary>What the agency issued this dock: the v1 endorsement (never expires) and the v1.1 one (agency key id, expiry), either
/// of which may be absent, not both.</summary>
public sealed record Endorsements(byte[] V1, ExpiringEndorsement? Expiring)
{
    public DateTimeOffset? NotAfter => Expiring is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e.Terms.NotAfterMs) : null;

    public static readonly Endorsements None = new([], null);

    /// <summary>One line for `dock keys show` and alerts.</summary>
    public string Describe(DateTimeOffset now)
    {
        var parts = new List<string>();
        if (V1.Length > 0) parts.Add("v1 (does not expire)");
        if (Expiring is { } e)
            parts.Add($"v1.1 by agency key {Convert.ToHexStringLower(e.Terms.AgencyKeyId)} until {NotAfter:yyyy-MM-dd HH:mm}Z" +
                (now >= NotAfter ? " (EXPIRED)" : $" ({(NotAfter!.Value - now).TotalDays:0} days left)"));
        return string.Join("; ", parts);
    }
}

/// <summary>
/// The agency's endorsement of (dock id, dock key), as a small JSON file the installer copies to the dock: the v1 signature
/// (docklink-v1.md §7.2) and, since v1.1, an expiring one that names the agency key, for recorders that offer method 2.
/// </summary>
public static class DockEndorsement
{
    private sealed record EndorsementFile(string DockId, string DockKey, string AgencyKey, string? Signature,
        string? AgencyKeyId = null, DateTimeOffset? NotAfter = null, string? SignatureV11 = null);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The longest an expiring endorsement may run: ten years. Revocation by expiry needs a horizon.</summary>
    public const int MaxValidDays = 3650;

    /// <summary>
    /// Signs (dock id, dock key) with the agency key and writes the endorsement file: the expiring v1.1 endorsement until
    /// <paramref name="notAfter"/>, and the v1 one unless <paramref name="includeV1"/> is false (an agency whose recorders all
    /// speak v1.1 leaves it out, so that a dock it stops endorsing is refused everywhere once its endorsement expires).
    /// </summary>
    public static void Write(string path, Ed25519Key agency, string dockId, ReadOnlySpan<byte> dockKey, DateTimeOffset notAfter, bool includeV1 = true)
    {
        Identifier.Require(dockId, "dock id");
        if (!ClipBounds.IsTime(notAfter.ToUnixTimeMilliseconds()))
            throw new IdentityException($"An endorsement cannot end at {notAfter:u}: DockLink times lie in 2000..2100.");
        var terms = new EndorsementTerms(AuthTranscript.AgencyKeyId(agency.PublicKey), notAfter.ToUnixTimeMilliseconds());
        var v11 = agency.Sign(AuthTranscript.EndorsementMessageV11(dockId, dockKey, terms));
        var v1 = includeV1 ? Convert.ToHexStringLower(agency.Sign(AuthTranscript.EndorsementMessage(dockId, dockKey))) : null;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Written beside and moved over, so a running dock that re-reads the file never sees half of it.
        var staged = path + ".new";
        File.WriteAllText(staged, JsonSerializer.Serialize(new EndorsementFile(dockId, Convert.ToHexStringLower(dockKey),
            Convert.ToHexStringLower(agency.PublicKey), v1, Convert.ToHexStringLower(terms.AgencyKeyId),
            DateTimeOffset.FromUnixTimeMilliseconds(terms.NotAfterMs), Convert.ToHexStringLower(v11)), Json));
        File.Move(staged, path, overwrite: true);
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

    /// <summary>The agency key an endorsement file names, without checking its signatures (null if there is no readable file): the dock's
    /// own file, read to learn which agency may sign its fleet bundles.</summary>
    public static byte[]? PeekAgencyKey(string path)
    {
        try
        {
            if (!File.Exists(path) || new FileInfo(path).Length > 64 * 1024) return null;
            return Hex.TryParse(JsonSerializer.Deserialize<EndorsementFile>(File.ReadAllText(path), Json)?.AgencyKey, 32, out var key) ? key : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads and checks an endorsement for this dock. Every failure says what to do. An expired one is returned (the
    /// dock still runs, and says so); recorders judge expiry by their own clocks.</summary>
    public static Endorsements Read(string path, string dockId, ReadOnlySpan<byte> dockKey)
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
        if (file is null || !Hex.TryParse(file.DockKey, 32, out var key) || !Hex.TryParse(file.AgencyKey, 32, out var agency))
            throw new IdentityException($"The endorsement {path} is missing fields or has malformed hex. Endorse the dock again.");
        if (file.DockId != dockId || !key.AsSpan().SequenceEqual(dockKey))
            throw new IdentityException($"The endorsement {path} is for dock '{file.DockId}' with another key, not this dock ('{dockId}'). " +
                "The key or the dock id changed: endorse the dock again.");
        byte[] v1 = [];
        if (file.Signature is not null)
        {
            if (!Hex.TryParse(file.Signature, 64, out v1))
                throw new IdentityException($"The endorsement {path} has a malformed signature. Endorse the dock again.");
            if (!Ed25519Key.Verify(agency, AuthTranscript.EndorsementMessage(dockId, dockKey), v1))
                throw new IdentityException($"The endorsement {path} has a signature that does not verify. Endorse the dock again.");
        }
        ExpiringEndorsement? expiring = null;
        if (file.SignatureV11 is not null || file.NotAfter is not null || file.AgencyKeyId is not null)
        {
            if (!Hex.TryParse(file.SignatureV11, 64, out var v11) || !Hex.TryParse(file.AgencyKeyId, EndorsementTerms.KeyIdSize, out var keyId)
                || file.NotAfter is not { } notAfter || !ClipBounds.IsTime(notAfter.ToUnixTimeMilliseconds()))
                throw new IdentityException($"The endorsement {path} has an incomplete v1.1 part (signatureV11, agencyKeyId, notAfter). Endorse the dock again.");
            if (!keyId.AsSpan().SequenceEqual(AuthTranscript.AgencyKeyId(agency)))
                throw new IdentityException($"The endorsement {path} names agency key id {file.AgencyKeyId}, which is not the id of its agency key. " +
                    "Endorse the dock again.");
            var terms = new EndorsementTerms(keyId, notAfter.ToUnixTimeMilliseconds());
            if (!Ed25519Key.Verify(agency, AuthTranscript.EndorsementMessageV11(dockId, dockKey, terms), v11))
                throw new IdentityException($"The endorsement {path} has a v1.1 signature that does not verify. Endorse the dock again.");
            expiring = new ExpiringEndorsement(terms, v11);
        }
        if (v1.Length == 0 && expiring is null)
            throw new IdentityException($"The endorsement {path} holds no signature. Endorse the dock again.");
        return new Endorsements(v1, expiring);
    }
}

/// <summary>The dock's identity cannot be used: no endorsement, a corrupt key file, a mismatch.</summary>
public sealed class IdentityException(string message, Exception? inner = null) : Exception(message, inner);
