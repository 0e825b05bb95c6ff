using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.Simulator.Recorders;

namespace Dock.DeviceProtocol.Tests.Support;

/// <summary>An agency, a dock it endorsed, and recorders that trust it: the cast of every session test.</summary>
public sealed class TestKeys : IDisposable
{
    public Ed25519Key Agency { get; } = Ed25519Key.Generate();
    public Ed25519Key DockKey { get; } = Ed25519Key.Generate();
    public string DockId { get; } = "dock-test";

    /// <summary>The dock as an agency endorses it since v1.1: the v1 endorsement and an expiring one, valid for a year.</summary>
    public IDockCredential Dock => Endorsed(v1: true, notAfter: DateTimeOffset.UtcNow.AddDays(365));

    /// <summary>The dock with the v1 endorsement, the expiring one until <paramref name="notAfter"/>, or both; signed by
    /// <paramref name="agency"/> (default: the trusted agency).</summary>
    public IDockCredential Endorsed(bool v1, DateTimeOffset? notAfter, Ed25519Key? agency = null)
    {
        agency ??= Agency;
        ExpiringEndorsement? expiring = null;
        if (notAfter is { } until)
        {
            var terms = new EndorsementTerms(AuthTranscript.AgencyKeyId(agency.PublicKey), until.ToUnixTimeMilliseconds());
            expiring = new ExpiringEndorsement(terms, agency.Sign(AuthTranscript.EndorsementMessageV11(DockId, DockKey.PublicKey, terms)));
        }
        return new Credential(DockId, DockKey, v1 ? agency.Sign(AuthTranscript.EndorsementMessage(DockId, DockKey.PublicKey)) : [], expiring);
    }

    /// <summary>A dock presenting exactly this expiring endorsement (and no v1 one): for forged terms.</summary>
    public IDockCredential Presenting(ExpiringEndorsement expiring) => new Credential(DockId, DockKey, [], expiring);

    /// <summary>A dock with a valid key that no trusted agency endorsed.</summary>
    public IDockCredential Rogue()
    {
        var rogueAgency = Ed25519Key.Generate();
        return new Credential(DockId, DockKey, rogueAgency.Sign(AuthTranscript.EndorsementMessage(DockId, DockKey.PublicKey)), null);
    }

    public Task<SimulatedRecorder> RecorderAsync(int clips = 2, long size = 200_000, string serial = "DSJ-T-0001",
        byte authMethods = AuthMethods.Ed25519Endorsed | AuthMethods.Ed25519EndorsedExpiring) =>
        SimulatedRecorder.CreateAsync(new RecorderOptions
        {
            Serial = serial,
            OfficerId = "P000123",
            ClipCount = clips,
            MinClipSize = size,
            MaxClipSize = size,
            TrustedAgencyKeys = [Agency.PublicKey],
            AuthMethods = authMethods,
        });

    public void Dispose()
    {
        Agency.Dispose();
        DockKey.Dispose();
    }

    private sealed class Credential(string dockId, Ed25519Key key, byte[] endorsement, ExpiringEndorsement? expiring) : IDockCredential
    {
        public string DockId => dockId;
        public ReadOnlyMemory<byte> PublicKey => key.PublicKey;
        public ReadOnlyMemory<byte> Endorsement => endorsement;
        public ExpiringEndorsement? ExpiringEndorsement => expiring;
        public byte[] Sign(ReadOnlySpan<byte> message) => key.Sign(message);
    }
}
