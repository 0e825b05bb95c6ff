using Dock.Service.Cli;
using Dock.Service.Configuration;
using Microsoft.Extensions.Configuration;

namespace Dock.Service.Tests;

public sealed class DockOptionsValidatorTests
{
    private static DockOptions Valid() => new()
    {
        Bays = [new BayOptions { Id = "1", Endpoint = "tcp://127.0.0.1:7001" }, new BayOptions { Id = "2", Endpoint = "serial:///dev/ttyACM0?baud=921600" }],
    };

    [Fact]
    public void Validate_ValidOptions_Succeeds() => Assert.True(new DockOptionsValidator().Validate(null, Valid()).Succeeded);

    [Fact]
    public void Validate_FleetSettings_TrustedKeysMustBeReadableKeys_AtStart()
    {
        var dir = Directory.CreateTempSubdirectory("dock-fleet-trust-").FullName;
        try
        {
            using (var key = Dock.Crypto.Keys.Ed25519Key.Generate())
                File.WriteAllText(Path.Combine(dir, "config.pem"), Dock.Crypto.Keys.Ed25519Key.PublicKeyPem(key.PublicKey));
            File.WriteAllText(Path.Combine(dir, "not-a-key.pem"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
            var options = Valid();
            options.DataDirectory = dir;
            options.Fleet.TrustedKeys = ["config.pem"];
            Assert.True(new DockOptionsValidator().Validate(null, options).Succeeded);

            options.Fleet.TrustedKeys = ["config.pem", "missing.pem", "not-a-key.pem"];
            options.Fleet.Site = "../up";
            options.Fleet.PollInterval = TimeSpan.Zero;
            var failures = new DockOptionsValidator().Validate(null, options).Failures!.ToList();
            Assert.Contains(failures, f => f.StartsWith("Dock:Fleet:TrustedKeys:1:", StringComparison.Ordinal) && f.Contains("does not exist", StringComparison.Ordinal));
            Assert.Contains(failures, f => f.StartsWith("Dock:Fleet:TrustedKeys:2:", StringComparison.Ordinal) && f.Contains("not an Ed25519 key", StringComparison.Ordinal));
            Assert.DoesNotContain(failures, f => f.StartsWith("Dock:Fleet:TrustedKeys:0", StringComparison.Ordinal));
            Assert.Contains(failures, f => f.StartsWith("Dock:Fleet:Site '../up'", StringComparison.Ordinal));
            Assert.Contains(failures, f => f.StartsWith("Dock:Fleet:PollInterval", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Validate_EveryProblemReportedAtOnceWithItsKey()
    {
        var options = Valid();
        options.Bays.Add(new BayOptions { Id = "1", Endpoint = "http://x" });
        options.Bays.Add(new BayOptions { Id = "../bay", Endpoint = "serial://" });
        options.MaxConcurrentPulls = 0;
        options.DockId = "dock id with spaces";
        options.Link.RequestTimeout = TimeSpan.Zero;

        var result = new DockOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Dock:Bays:2:Id '1' is used by two bays", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Bays:2:Endpoint", StringComparison.Ordinal) && f.Contains("unknown scheme 'http'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Bays:3:Id '../bay' is not valid", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Bays:3:Endpoint", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:MaxConcurrentPulls is 0", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:DockId", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Link:RequestTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MassStorageBays_EveryMistakeNamed()
    {
        var options = Valid();
        options.Bays.Add(new BayOptions { Id = "3", Endpoint = "serial:///dev/ttyACM1", Driver = RecorderDriver.MassStorage });
        options.Bays.Add(new BayOptions { Id = "4", Endpoint = "serial:///dev/ttyACM2", Volume = "/media/x" });
        options.MassStorage.Folders = ["../etc"];
        options.MassStorage.Extensions = [];
        options.MassStorage.TimeZone = "Mars/Olympus";
        options.MassStorage.Password = new string('9', 40);

        var failures = new DockOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Contains(failures, f => f.StartsWith("Dock:Bays:2 is a MassStorage bay", StringComparison.Ordinal) && f.Contains("Volume", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Bays:3:Volume is set, but the bay's Driver is DockLink", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:MassStorage:Folders", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:MassStorage:Extensions", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:MassStorage:TimeZone 'Mars/Olympus'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:MassStorage:Password is longer", StringComparison.Ordinal) && !f.Contains("9999", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_BoardPinMapAndUsbPorts_EveryMistakeNamed()
    {
        var options = Valid();
        options.Bays.Add(new BayOptions { Id = "3", UsbPort = "1-1.3" });
        options.Bays.Add(new BayOptions { Id = "4", UsbPort = "usb1" });
        options.Board = new BoardOptions
        {
            Driver = BoardDriver.Simulated,
            Bays =
            [
                new BayPinOptions { BayId = "1", RedPin = 5, GreenPin = 6, BluePin = 13, ChargePin = 19 },
                new BayPinOptions { BayId = "9", RedPin = 5, GreenPin = 20, BluePin = 21, ChargePin = -1 },
            ],
        };
        var failures = new DockOptionsValidator().Validate(null, options).Failures!.ToList();
        Assert.DoesNotContain(failures, f => f.StartsWith("Dock:Bays:2", StringComparison.Ordinal)); // a valid USB port bay
        Assert.Contains(failures, f => f.StartsWith("Dock:Bays:3:UsbPort 'usb1'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Board:Bays:1:BayId '9' names no configured bay", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Board:Bays:1:RedPin uses line 5, already used by Dock:Board:Bays:0:RedPin", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Board:Bays:1:ChargePin is -1", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EquipmentPolicy_EveryMistakeNamed()
    {
        var options = Valid();
        options.Equipment = new EquipmentOptions
        {
            CheckoutMinimumBattery = 101,
            ShiftLength = TimeSpan.FromMinutes(30),
            Ratio = -1,
            ChargeRateDrop = 1.5,
            Units = [new UnitPolicyOptions { Unit = "XC-01", MinimumReady = -2 }, new UnitPolicyOptions { Unit = "XC-01" }, new UnitPolicyOptions { Unit = "a/b" }],
        };
        var failures = new DockOptionsValidator().Validate(null, options).Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Dock:Equipment:CheckoutMinimumBattery is 101", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Equipment:ShiftLength 00:30:00", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Equipment:Ratio -1", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Equipment:ChargeRateDrop 1.5", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Equipment:Units:0:MinimumReady", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Equipment:Units: unit XC-01 is there 2 times", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Dock:Equipment:Units:2:Unit 'a/b'", StringComparison.Ordinal));
        Assert.True(new DockOptionsValidator().Validate(null, Valid()).Succeeded);
    }

    [Fact]
    public void Validate_NoBays_FailsOnlyWhenBaysAreRequired()
    {
        Assert.True(new DockOptionsValidator().Validate(null, new DockOptions()).Failed);
        Assert.True(new DockOptionsValidator { RequireBays = false }.Validate(null, new DockOptions()).Succeeded);
    }

    [Fact]
    public void BayEndpoint_TryParse_UsbBulk_WithDefaultsAndRoundTrip()
    {
        Assert.True(BayEndpoint.TryParse("usb://1-1.3?vid=2e8a&pid=000a", out var plain, out var error), error);
        Assert.Equal(new UsbBulkAddress("1-1.3", 0x2e8a, 0x000a, 0, 0x81, 0x01), plain.Usb);
        Assert.True(BayEndpoint.TryParse("usb://2-1.4.2?vid=1d6b&pid=0104&interface=2&in=83&out=02", out var full, out error), error);
        Assert.Equal(new UsbBulkAddress("2-1.4.2", 0x1d6b, 0x0104, 2, 0x83, 0x02), full.Usb);
        Assert.True(BayEndpoint.TryParse(full.ToString(), out var again, out _));
        Assert.Equal(full.Usb, again.Usb);
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:7001", BayTransport.Tcp, "127.0.0.1", 7001, "")]
    [InlineData("tcp://[::1]:9", BayTransport.Tcp, "::1", 9, "")]
    [InlineData("serial:///dev/ttyACM3", BayTransport.Serial, "", 0, "/dev/ttyACM3")]
    [InlineData("serial://COM7", BayTransport.Serial, "", 0, "COM7")]
    [InlineData("serial://com12?baud=9600", BayTransport.Serial, "", 0, "COM12")]
    public void BayEndpoint_TryParse_Valid(string text, BayTransport transport, string host, int port, string path)
    {
        Assert.True(BayEndpoint.TryParse(text, out var endpoint, out var error), error);
        Assert.Equal(transport, endpoint.Transport);
        Assert.Equal(host, endpoint.Host);
        Assert.Equal(port, endpoint.Port);
        Assert.Equal(path, endpoint.DevicePath);
    }

    [Fact]
    public void BayEndpoint_WindowsComPort_HandedToSerialPortAsItsName()
    {
        Assert.True(BayEndpoint.TryParse("serial://COM7?baud=921600", out var endpoint, out var error), error);
        Assert.Equal("COM7", endpoint.SerialPortName); // What System.IO.Ports opens on Windows, not "/" or "com7".
        Assert.Equal(921600, endpoint.BaudRate);
        Assert.Equal("serial://COM7", endpoint.ToString());
    }

    [Fact]
    public void TwoBaysOnOneEndpoint_Refused_NamingBoth()
    {
        var options = Valid();
        options.Bays.Add(new BayOptions { Id = "3", Endpoint = "tcp://127.0.0.1:7001" });
        options.Bays.Add(new BayOptions { Id = "4", UsbPort = "1-1.3" });
        options.Bays.Add(new BayOptions { Id = "5", Endpoint = "usb://1-1.3?vid=2e8a&pid=000a" });

        var result = new DockOptionsValidator().Validate(null, options);

        Assert.Contains(result.Failures!, f => f.Contains("Dock:Bays:2:Endpoint tcp://127.0.0.1:7001 is also Dock:Bays:0's", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("Dock:Bays:4:Endpoint usb port 1-1.3 is also Dock:Bays:3's", StringComparison.Ordinal));
    }

    private static List<string> UnknownKeys(params (string Key, string Value)[] values)
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
        var result = new ConfigurationKeysValidator(configuration).Validate(null, new DockOptions());
        return [.. result.Failures ?? []];
    }

    [Fact]
    public void MisspeltKey_ErrorNamesTheNearestValidKey()
    {
        var errors = UnknownKeys(("Dock:MaxConcurentPulls", "8"), ("Dock:Bays:0:Endpont", "tcp://x:1"), ("Dock:Cloud:Zone", "cn"), ("Dock:Bays:first:Id", "1"));

        Assert.Contains("Dock:MaxConcurentPulls is not a setting; did you mean Dock:MaxConcurrentPulls?", errors);
        Assert.Contains("Dock:Bays:0:Endpont is not a setting; did you mean Dock:Bays:0:Endpoint?", errors);
        Assert.Contains(errors, e => e.StartsWith("Dock:Cloud:Zone is not a setting; the settings under Dock:Cloud are Target,", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Dock:Bays:first is not a setting: Dock:Bays is a list", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryKeyOfTheShippedSettings_IsKnown()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Dock:Bays:0:Id"] = "1", ["Dock:Bays:0:Endpoint"] = "tcp://127.0.0.1:7001", ["Dock:Cloud:Blackout:0"] = "07:00-09:00",
                ["Dock:Board:Bays:0:RedPin"] = "5", ["Dock:MassStorage:Folders:0"] = "DCIM", ["Dock:Link:ConnectTimeout"] = "00:00:02",
            }).Build();
        Assert.Empty(new ConfigurationKeysValidator(configuration).Validate(null, new DockOptions()).Failures ?? []);
    }

    [Fact]
    public void ByteSizesInConfiguration_TakeUnits()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dock:CheckpointBytes"] = "1MiB", ["Dock:VaultReserveBytes"] = "2GiB", ["Dock:Cloud:PartSize"] = "8MB", ["Dock:Link:ReadChunkSize"] = "64KiB",
        }).Build();
        var options = new DockOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection("Dock"), options);

        Assert.Equal(1L << 20, options.CheckpointBytes.Bytes);
        Assert.Equal(2L << 30, options.VaultReserveBytes.Bytes);
        Assert.Equal(8_000_000, options.Cloud.PartSize.Bytes);
        Assert.Equal(64 * 1024, options.Link.ReadChunkSize.Bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1:7001")]
    [InlineData("tcp://127.0.0.1")]
    [InlineData("tcp://127.0.0.1:7001/path")]
    [InlineData("serial:///dev/ttyACM0?parity=odd")]
    [InlineData("serial:///dev/ttyACM0?baud=12")]
    [InlineData("usb://1-1.3")]
    [InlineData("usb://bus1?vid=2e8a&pid=000a")]
    [InlineData("usb://1-1.3?vid=2e8a&pid=000a&in=01")]
    [InlineData("usb://1-1.3?vid=2e8a&pid=000a&colour=red")]
    [InlineData("usb://1-1.3?vid=zz&pid=000a")]
    public void BayEndpoint_TryParse_Invalid_ExplainsTheForm(string text)
    {
        Assert.False(BayEndpoint.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Theory]
    [InlineData("200MB", 200_000_000)]
    [InlineData("64MiB", 64L << 20)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("1.5KB", 1500)]
    [InlineData("4096", 4096)]
    public void TryParseSize_Units(string text, long bytes)
    {
        Assert.True(CliOptions.TryParseSize(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("ten")]
    [InlineData("5XB")]
    [InlineData("1.5B")]
    [InlineData("-5MB")]
    [InlineData("99999999999GB")]
    public void TryParseSize_Invalid(string text) => Assert.False(CliOptions.TryParseSize(text, out _));
}
