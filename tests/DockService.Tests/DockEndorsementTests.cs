using System.Text.Json.Nodes;
using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Session;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dock.Service.Tests;

/// <summary>The endorsement file (v1 and the expiring v1.1 part) and the running dock's watch over its expiry.</summary>
public sealed class DockEndorsementTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dock-endorse-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
    private readonly Ed25519Key _agency = Ed25519Key.Generate();
    private readonly Ed25519Key _dock = Ed25519Key.Generate();
    private string File => Path.Combine(_dir, "dock.endorsement.json");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _agency.Dispose();
        _dock.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Write_BothParts_ReadBackVerified_ExpiringOnlyLeavesOutV1()
    {
        var until = _time.GetUtcNow().AddDays(90);
        DockEndorsement.Write(File, _agency, "dock-a", _dock.PublicKey, until);
        var both = DockEndorsement.Read(File, "dock-a", _dock.PublicKey);
        Assert.Equal(64, both.V1.Length);
        Assert.Equal(until.ToUnixTimeMilliseconds(), both.Expiring!.Terms.NotAfterMs);
        Assert.Equal(AuthTranscript.AgencyKeyId(_agency.PublicKey), both.Expiring.Terms.AgencyKeyId);
        Assert.Contains("90 days left", both.Describe(_time.GetUtcNow()), StringComparison.Ordinal);
        Assert.Contains("EXPIRED", both.Describe(until.AddSeconds(1)), StringComparison.Ordinal);

        DockEndorsement.Write(File, _agency, "dock-a", _dock.PublicKey, until, includeV1: false);
        var expiringOnly = DockEndorsement.Read(File, "dock-a", _dock.PublicKey);
        Assert.Empty(expiringOnly.V1);
        Assert.NotNull(expiringOnly.Expiring);
        Assert.DoesNotContain("\"signature\"", System.IO.File.ReadAllText(File), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_FileFromBeforeV11_StillReadsAsV1Only()
    {
        var v1 = _agency.Sign(AuthTranscript.EndorsementMessage("dock-a", _dock.PublicKey));
        System.IO.File.WriteAllText(File, new JsonObject
        {
            ["dockId"] = "dock-a", ["dockKey"] = Convert.ToHexStringLower(_dock.PublicKey),
            ["agencyKey"] = Convert.ToHexStringLower(_agency.PublicKey), ["signature"] = Convert.ToHexStringLower(v1),
        }.ToJsonString());

        var read = DockEndorsement.Read(File, "dock-a", _dock.PublicKey);

        Assert.Equal(v1, read.V1);
        Assert.Null(read.Expiring);
        Assert.Null(read.NotAfter);
    }

    [Theory]
    [InlineData("notAfter", "v1.1 signature that does not verify")]
    [InlineData("agencyKeyId", "not the id of its agency key")]
    [InlineData("signatureV11", "incomplete v1.1 part")]
    public void Read_EditedV11Part_RefusedWithWhatToDo(string field, string expected)
    {
        DockEndorsement.Write(File, _agency, "dock-a", _dock.PublicKey, _time.GetUtcNow().AddDays(30));
        var json = JsonNode.Parse(System.IO.File.ReadAllText(File))!.AsObject();
        json[field] = field switch
        {
            "notAfter" => "2099-01-01T00:00:00+00:00", // someone stretches their own endorsement
            "agencyKeyId" => "0011223344556677",
            _ => null,
        };
        System.IO.File.WriteAllText(File, json.ToJsonString());

        var error = Assert.Throws<IdentityException>(() => DockEndorsement.Read(File, "dock-a", _dock.PublicKey));

        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), error.Message);
        Assert.Contains("Endorse the dock again", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_WarnsBeforeExpiry_AlertsWhenExpired_ResolvesOnceRenewed()
    {
        var paths = DockPaths.From(new DockOptions { DataDirectory = _dir });
        DemoAgency.EndorseDock(paths, "dock-w", _time); // a year
        using var identity = DockIdentity.Load(paths, "dock-w");
        var catalog = await CatalogStores.OpenAsync(paths.Catalog, _time, CancellationToken.None);
        var watch = new EndorsementWatch(identity, paths, new IdentityOptions(), catalog.Alerts, NullLogger<EndorsementWatch>.Instance, _time);
        async Task<string[]> OpenAlertsAsync() =>
            [.. (await catalog.Alerts.ListAlertsAsync(CancellationToken.None)).Where(a => a.IsOpen).Select(a => a.Kind)];

        await watch.CheckAsync(CancellationToken.None);
        Assert.Empty(await OpenAlertsAsync());

        _time.Advance(TimeSpan.FromDays(340)); // 25 days left
        await watch.CheckAsync(CancellationToken.None);
        Assert.Equal([EndorsementWatch.ExpiringAlert], await OpenAlertsAsync());

        _time.Advance(TimeSpan.FromDays(30));
        await watch.CheckAsync(CancellationToken.None);
        Assert.Equal([EndorsementWatch.ExpiredAlert], await OpenAlertsAsync());
        Assert.Contains("dock keys endorse", (await catalog.Alerts.ListAlertsAsync(CancellationToken.None)).Last().Message, StringComparison.Ordinal);

        DemoAgency.EndorseDock(paths, "dock-w", _time); // renewed by the installer while the dock runs
        identity.Reload(paths);
        await watch.CheckAsync(CancellationToken.None);
        Assert.Empty(await OpenAlertsAsync());
        Assert.Contains("now runs until", Assert.Single(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == EndorsementWatch.ExpiredAlert)
            .Resolution, StringComparison.Ordinal);
    }
}
