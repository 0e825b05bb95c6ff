using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Session;
using Dock.Simulator.Recorders;

namespace Dock.DeviceProtocol.Tests.Support;

/// <summary>An agency, a dock it endorsed, and recorders that trust it: the cast of every session test.</summary>
public sealed class TestKeys : IDisposable
{
    public Ed25519Key Agency { get; } = Ed25519Key.Generate();
    public Ed25519Key DockKey { get; } = Ed25519Key.Generate();
    public string DockId { get; } = "dock-test";

    public IDockCredential Dock => new Credential(DockId, DockKey, Agency.Sign(AuthTranscript.EndorsementMessage(DockId, DockKey.PublicKey)));

    /// <summary>A dock with a valid key that no trusted agency endorsed.</summary>
    public IDockCredential Rogue()
    {
        var rogueAgency = Ed25519Key.Generate();
        return new Credential(DockId, DockKey, rogueAgency.Sign(AuthTranscript.EndorsementMessage(DockId, DockKey.PublicKey)));
    }

    public Task<SimulatedRecorder> RecorderAsync(int clips = 2, long size = 200_000, string serial = "DSJ-T-0001") =>
        SimulatedRecorder.CreateAsync(new RecorderOptions
        {
            Serial = serial,
            OfficerId = "P000123",
            ClipCount = clips,
            MinClipSize = size,
            MaxClipSize = size,
            TrustedAgencyKeys = [Agency.PublicKey],
        });

    public void Dispose()
    {
        Agency.Dispose();
        DockKey.Dispose();
    }

    private sealed class Credential(string dockId, Ed25519Key key, byte[] endorsement) : IDockCredential
    {
        public string DockId => dockId;
        public ReadOnlyMemory<byte> PublicKey => key.PublicKey;
        public ReadOnlyMemory<byte> Endorsement => endorsement;
        public byte[] Sign(ReadOnlySpan<byte> message) => key.Sign(message);
    }
}
