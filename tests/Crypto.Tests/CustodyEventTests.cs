using System.Text;
using Dock.Crypto.Custody;

namespace Dock.Crypto.Tests;

public class CustodyEventTests
{
    /// <summary>Found by the fuzz target: a control character in a field made TryParse throw instead of refusing.</summary>
    [Fact]
    public void TryParse_ControlCharacterInAField_RefusedNotThrown()
    {
        var entry = new CustodyEvent(3, CustodyEventKind.Stored, new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero), "dock-1", "dock-1", "DSJ-1", "c.mp4",
            new string('a', 64), 1000, 5, "stored");
        var text = Encoding.UTF8.GetString(entry.ToBytes()).Replace("actor: dock-1", "actor: do\rck-1", StringComparison.Ordinal);

        Assert.False(CustodyEvent.TryParse(Encoding.UTF8.GetBytes(text), out _, out var error));
        Assert.Contains("control character", error, StringComparison.Ordinal);
        Assert.True(CustodyEvent.TryParse(entry.ToBytes(), out var parsed, out _));
        Assert.Equal(entry, parsed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void FitDetail_CutsWithinTheLimit_NeverInsideACharacter(int offset)
    {
        // Chinese (3 bytes), an emoji (a surrogate pair, 4 bytes) and ASCII, shifted so that the cut falls on each kind of boundary.
        var detail = new string('a', offset) + string.Concat(Enumerable.Repeat("张三😀x", 200));
        var fitted = CustodyEvent.FitDetail(detail);
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(fitted), CustodyEvent.MaxDetailBytes - 6, CustodyEvent.MaxDetailBytes);
        Assert.EndsWith("…", fitted, StringComparison.Ordinal);
        Assert.StartsWith(fitted[..^1], detail, StringComparison.Ordinal);
        Assert.False(char.IsHighSurrogate(fitted[^2]));
        Assert.Equal("short", CustodyEvent.FitDetail("short"));
    }
}
