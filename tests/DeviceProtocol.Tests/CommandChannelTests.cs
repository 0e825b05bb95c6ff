using System.Buffers.Binary;
using Dock.DeviceProtocol.CommandChannel;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Transport;

namespace Dock.DeviceProtocol.Tests;

/// <summary>The GA/T 947.4-style command channel (hardware-specs/recorder-command-channel-v1.md) over an in-memory byte pair.</summary>
public sealed class CommandChannelTests
{
    private sealed class Camera : ICommandChannelHandler
    {
        public OfficerInfo Officer { get; set; } = new("P100200", "张三", "330100", "杭州市某局");
        public long SetTo { get; private set; }
        public bool Switched { get; private set; }
        public bool CheckPassword(string password) => password == "000000";
        public RecorderIdentity Identify() => new("ZFY-0001", "ZFY", "M1", "1.2");
        public OfficerInfo ReadOfficer() => Officer;
        public void WriteOfficer(OfficerInfo officer) => Officer = officer;
        public long SyncTime(long hostUnixMs, short utcOffsetMinutes)
        {
            SetTo = hostUnixMs;
            return hostUnixMs - 90_000;
        }
        public BatteryStatus ReadBattery() => new(77, 4012, ChargeState.Charging, 301, 12, 95);
        public void SwitchToMassStorage() => Switched = true;
    }

    private static (CommandChannelClient Client, Camera Camera, IDockLinkTransport Device, Task Serving) Start()
    {
        var (host, device) = InMemoryTransport.CreatePair();
        var camera = new Camera();
        var serving = CommandChannelDevice.ServeAsync(device, camera, CancellationToken.None);
        return (new CommandChannelClient(host, TimeSpan.FromSeconds(2)), camera, device, serving);
    }

    [Fact]
    public async Task EveryCommand_RoundTrips()
    {
        var (client, camera, _, _) = Start();
        await using var _c = client;
        await client.LoginAsync("000000", CancellationToken.None);
        Assert.Equal(new RecorderIdentity("ZFY-0001", "ZFY", "M1", "1.2"), await client.IdentifyAsync(CancellationToken.None));
        Assert.Equal(camera.Officer, await client.ReadOfficerAsync(CancellationToken.None));
        var issued = new OfficerInfo("P100201", "李四", "330101", "另一个单位");
        await client.WriteOfficerAsync(issued, CancellationToken.None);
        Assert.Equal(issued, camera.Officer);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000).ToOffset(TimeSpan.FromHours(8));
        Assert.Equal(1_790_000_000_000 - 90_000, await client.SyncTimeAsync(now, CancellationToken.None));
        Assert.Equal(1_790_000_000_000, camera.SetTo);
        Assert.Equal(new BatteryStatus(77, 4012, ChargeState.Charging, 301, 12, 95), await client.ReadBatteryAsync(CancellationToken.None));
        await client.SwitchToMassStorageAsync(CancellationToken.None);
        Assert.True(camera.Switched);
    }

    [Fact]
    public async Task WrongPassword_Refused_AndCommandsStayLocked_MessageNeverEchoesIt()
    {
        var (client, camera, _, _) = Start();
        await using var _c = client;
        var denied = await Assert.ThrowsAsync<DockLinkException>(() => client.LoginAsync("hunter2", CancellationToken.None));
        Assert.Equal(DockLinkFailure.RemoteError, denied.Failure);
        Assert.Contains("Dock:MassStorage:Password", denied.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", denied.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<DockLinkException>(() => client.SwitchToMassStorageAsync(CancellationToken.None));
        Assert.False(camera.Switched);
    }

    [Fact]
    public async Task GarbageAndBadFramesOnTheLine_AreSkipped_ThenAValidFrameIsRead()
    {
        var (host, device) = InMemoryTransport.CreatePair();
        var good = new CommandFrame(0x82, 7, CommandStatus.Ok, new RecorderIdentity("A1", "", "", "").Encode()).Encode();
        var badCrc = (byte[])good.Clone();
        badCrc[^1] ^= 0xFF;
        var hostileLength = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(hostileLength.AsSpan(6), 65_535);
        var wrongVersion = (byte[])good.Clone();
        wrongVersion[2] = 9;
        byte[] noise = [0x00, 0x5A, 0x13, 0xA5, 0x5A];
        byte[] line = [.. noise, .. badCrc, .. hostileLength, .. wrongVersion, .. good];
        await device.WriteAsync(line, CancellationToken.None);

        var reader = new CommandFrameReader(host);
        var frame = await reader.ReadAsync(CancellationToken.None);
        Assert.NotNull(frame);
        Assert.Equal(7, frame.Sequence);
        Assert.Equal("A1", RecorderIdentity.Decode(frame.Payload).Serial);
        Assert.True(reader.Discarded >= 3);
    }

    [Fact]
    public async Task SilentRecorder_TimesOutAfterOneResend_NotAHang()
    {
        var (host, device) = InMemoryTransport.CreatePair();
        await using var client = new CommandChannelClient(host, TimeSpan.FromMilliseconds(200));
        var error = await Assert.ThrowsAsync<DockLinkException>(() => client.IdentifyAsync(CancellationToken.None));
        Assert.Equal(DockLinkFailure.Timeout, error.Failure);
        // Both attempts reached the line.
        var reader = new CommandFrameReader(device);
        Assert.Equal(1, (await reader.ReadAsync(CancellationToken.None))!.Sequence);
        Assert.Equal(2, (await reader.ReadAsync(CancellationToken.None))!.Sequence);
    }

    [Fact]
    public async Task LinkClosed_ClosedCompletes_AndRequestsFailAsConnectionLost()
    {
        var (host, device) = InMemoryTransport.CreatePair();
        await using var client = new CommandChannelClient(host, TimeSpan.FromSeconds(5));
        await device.DisposeAsync();
        await client.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<DockLinkException>(() => client.ReadBatteryAsync(CancellationToken.None));
        Assert.Equal(DockLinkFailure.ConnectionLost, error.Failure);
    }

    [Theory]
    [InlineData(new byte[] { 1, (byte)'x' }, "truncated")] // a string longer than its bytes
    [InlineData(new byte[] { 2, (byte)'A', (byte)'1', 0, 0, 0, 0 }, "trailing")]
    [InlineData(new byte[] { 3, (byte)'a', (byte)'/', (byte)'b', 0, 0, 0 }, "is not 1-64 characters")]
    public void MalformedIdentify_IsAProtocolViolationNamingTheProblem(byte[] payload, string expected)
    {
        var error = Assert.Throws<DockLinkException>(() => RecorderIdentity.Decode(payload));
        Assert.Equal(DockLinkFailure.ProtocolViolation, error.Failure);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OverlongOfficerName_IsRefusedBeforeSending()
    {
        var officer = new OfficerInfo("P1", new string('名', 30), "", ""); // 90 UTF-8 bytes > 64
        Assert.Throws<ArgumentException>(() => officer.Encode());
    }
}
