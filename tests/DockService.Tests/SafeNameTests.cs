using CsCheck;
using Dock.DeviceProtocol.Messages;
using Dock.Service.Vault;

namespace Dock.Service.Tests;

public class SafeNameTests
{
    private static readonly Gen<string> Identifiers =
        Gen.Select(Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"],
            Gen.Char["ABCNOPRSTULMXaconprstulmx0123456789._-"].Array[0, 12], (first, rest) => first + new string(rest))
        .Where(Identifier.IsValid);

    [Theory]
    [InlineData("c1.mp4", "c1.mp4")]
    [InlineData("dsj-sim-0001", "dsj-sim-0001")]
    [InlineData("R1", "~1~R1")]
    [InlineData("VID.MP4", "~37~VID.MP4")]
    [InlineData("con", "~0~con")]
    [InlineData("CON.mp4", "~7~CON.mp4")]
    [InlineData("com1.txt", "~0~com1.txt")]
    [InlineData("lpt9", "~0~lpt9")]
    [InlineData("x.", "~0~x~")]
    [InlineData("x..", "~0~x~~")]
    [InlineData("console", "console")]
    [InlineData("com10", "com10")]
    [InlineData("c1.mp4~2", "c1.mp4~2")]
    [InlineData("VID.MP4~12", "~37~VID.MP4~12")]
    [InlineData("x.~3", "~0~x~~3")]
    public void Encode_KeepsPlainNames_EscapesTheRest(string identifier, string expected)
    {
        Assert.Equal(expected, SafeName.Encode(identifier));
        Assert.Equal(identifier, SafeName.Decode(expected));
    }

    [Fact]
    public void Encode_IsOneToOne_EvenIgnoringCase_AndNeverEndsInADot() =>
        Gen.Select(Identifiers, Identifiers).Sample((a, b) =>
        {
            var (x, y) = (SafeName.Encode(a), SafeName.Encode(b));
            return !x.EndsWith('.') && SafeName.Decode(x) == a
                && (a == b) == string.Equals(x, y, StringComparison.OrdinalIgnoreCase);
        });

    [Theory]
    [InlineData("x.manifest.json~meta.json")]
    [InlineData("~0~x~meta.json")]
    [InlineData("~zz~x")]
    [InlineData("~1~r1")] // R1's encoding with the case changed: not what any identifier encodes to.
    public void Decode_RefusesWhatNoIdentifierEncodesTo(string segment) => Assert.Null(SafeName.Decode(segment));
}
