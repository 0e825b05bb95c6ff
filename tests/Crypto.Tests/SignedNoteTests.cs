using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;

namespace Dock.Crypto.Tests;

public sealed class SignedNoteTests
{
    [Fact]
    public void KeyId_MatchesC2spDefinition()
    {
        // SHA-256("example.com/log" ‖ 0x0A ‖ 0x01 ‖ 32 zero bytes)[:4], computed independently.
        var expected = System.Security.Cryptography.SHA256.HashData([.. "example.com/log"u8, 0x0A, 0x01, .. new byte[32]]);
        Assert.Equal(Convert.ToHexStringLower(expected[..4]), SignedNote.KeyId("example.com/log", new byte[32]).ToString("x8"));
    }

    [Fact]
    public void SignThenOpen_CheckpointRoundTrips()
    {
        using var key = Ed25519Key.Generate();
        var checkpoint = new Checkpoint("dock.example/dock-1", 42, new byte[32]);

        var note = SignedNote.Sign(checkpoint.ToText(), "dock.example/dock-1", key);

        Assert.Contains("\n\n\u2014 dock.example/dock-1 ", note, StringComparison.Ordinal);
        Assert.True(SignedNote.TryOpen(note, "dock.example/dock-1", key.PublicKey, out var text, out var error), error);
        Assert.True(Checkpoint.TryParse(text, out var parsed, out error), error);
        Assert.Equal(42, parsed.Size);
        Assert.Equal("dock.example/dock-1", parsed.Origin);
    }

    [Fact]
    public void TryOpen_ForgedOrForeign_Rejected()
    {
        using var key = Ed25519Key.Generate();
        using var other = Ed25519Key.Generate();
        var note = SignedNote.Sign("origin\n1\n" + Convert.ToBase64String(new byte[32]) + "\n", "origin", key);

        Assert.False(SignedNote.TryOpen(note.Replace("\n1\n", "\n2\n", StringComparison.Ordinal), "origin", key.PublicKey, out _, out var error));
        Assert.Contains("does not verify", error, StringComparison.Ordinal);
        Assert.False(SignedNote.TryOpen(note, "origin", other.PublicKey, out _, out error));
        Assert.Contains("not signed", error, StringComparison.Ordinal);
        Assert.False(SignedNote.TryOpen(SignedNote.Sign("origin\n1\n" + Convert.ToBase64String(new byte[32]) + "\n", "origin", other), "origin", key.PublicKey, out _, out _));
    }

    [Theory]
    [InlineData("o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("o\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("o\n1\nAAAA\n")]
    [InlineData("o\n1\n")]
    [InlineData("\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    public void Checkpoint_TryParse_Malformed(string text) => Assert.False(Checkpoint.TryParse(text, out _, out _));

    /// <summary>Found by the fuzz target: a note ending in its blank line made TryOpen throw instead of refusing.</summary>
    [Fact]
    public void TryOpen_NoteEndingInTheBlankLine_RefusedNotThrown()
    {
        Assert.False(SignedNote.TryOpen("dock.example/log\n1\nAAAA\n\n", "dock.example/log", new byte[32], out _, out var error));
        Assert.Contains("no signature lines", error, StringComparison.Ordinal);
    }
}
