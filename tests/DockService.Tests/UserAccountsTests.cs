using System.IO.Compression;
using System.Text;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Evidence;
using Dock.Service.Catalog;
using Dock.Service.Custody;
using Dock.Service.Users;
using Microsoft.Extensions.Time.Testing;

namespace Dock.Service.Tests;

/// <summary>Accounts on a real SQLite file with a real custody log: badges and PINs, lockout, the last administrator, the audit.</summary>
public sealed class UserAccountsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dock-users-").FullName;
    private readonly Ed25519Key _key = Ed25519Key.Generate();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-03T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private CatalogStores _catalog = null!;
    private CustodyLog _log = null!;
    private UserAccounts _accounts = null!;

    public async Task InitializeAsync()
    {
        _catalog = await CatalogStores.OpenAsync(Path.Combine(_dir, "catalog.db"), _time, CancellationToken.None);
        _log = await CustodyLog.OpenAsync(_catalog.Database, new CustodyJournal(Path.Combine(_dir, "custody")), _key, "dock-test", [_key.PublicKey], _time,
            CancellationToken.None);
        _accounts = new UserAccounts(new UserStore(_catalog.Database), _log, _time);
    }

    public Task DisposeAsync()
    {
        _key.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<List<CustodyEvent>> ChangesAsync()
    {
        var events = new List<CustodyEvent>();
        await foreach (var (_, bytes, _) in CustodyLog.ReadEntriesAsync(_catalog.Database, CancellationToken.None))
            if (CustodyEvent.TryParse(bytes, out var e, out _) && e.Kind == CustodyEventKind.UserChanged) events.Add(e);
        return events;
    }

    [Theory]
    [InlineData("1234", "consecutive")]
    [InlineData("987654", "consecutive")]
    [InlineData("000000", "one digit repeated")]
    [InlineData("12a456", "digits")]
    [InlineData("123", "digits")]
    [InlineData("1234567890123", "digits")]
    public void AWeakPin_IsRefusedWithTheReason(string pin, string reason) =>
        Assert.Contains(reason, UserAccounts.PinWeakness(pin), StringComparison.Ordinal);

    [Fact]
    public void DrawnPins_AreSixDigits_AndNeverWeak()
    {
        var drawn = Enumerable.Range(0, 500).Select(_ => UserAccounts.DrawPin()).ToList();
        Assert.All(drawn, pin => Assert.Null(UserAccounts.PinWeakness(pin)));
        Assert.All(drawn, pin => Assert.Equal(6, pin.Length));
        Assert.True(drawn.Distinct().Count() > 450, "PINs are drawn at random");
    }

    [Fact]
    public async Task AnOfficer_SignsInWithBadgeAndPin_FiveWrongPinsLockTheAccount_AndAResetEndsTheLock()
    {
        await _accounts.AddAsync("admin@host", "olga", "correct horse battery", [Roles.Officer], "P100001", CancellationToken.None);
        Assert.Null(await _accounts.PinLoginAsync("P100001", "482916", CancellationToken.None)); // no PIN yet
        var pin = await _accounts.SetPinAsync("admin@host", "olga", null, CancellationToken.None);
        var signedIn = await _accounts.PinLoginAsync("P100001", pin, CancellationToken.None);
        Assert.Equal(("olga", "P100001"), (signedIn?.Name, signedIn?.Badge));
        Assert.Null(await _accounts.PinLoginAsync("P100002", pin, CancellationToken.None));
        var wrong = pin == "482916" ? "482917" : "482916";
        for (int i = 0; i < UserAccounts.LockAfter; i++) Assert.Null(await _accounts.PinLoginAsync("P100001", wrong, CancellationToken.None));
        Assert.Null(await _accounts.PinLoginAsync("P100001", pin, CancellationToken.None)); // locked: the right PIN is refused too
        _time.Advance(UserAccounts.LockFor + TimeSpan.FromSeconds(1));
        Assert.NotNull(await _accounts.PinLoginAsync("P100001", pin, CancellationToken.None));
        for (int i = 0; i < UserAccounts.LockAfter; i++) await _accounts.PinLoginAsync("P100001", wrong, CancellationToken.None);
        var reset = await _accounts.SetPinAsync("admin@host", "olga", "731946", CancellationToken.None);
        Assert.NotNull(await _accounts.PinLoginAsync("P100001", reset, CancellationToken.None));
    }

    [Fact]
    public async Task ABadge_BelongsToOneAccount_AndAPinNeedsABadge()
    {
        await _accounts.AddAsync("admin@host", "olga", "correct horse battery", [Roles.Officer], "P100001", CancellationToken.None);
        await _accounts.AddAsync("admin@host", "petr", "correct horse battery", [Roles.Officer], null, CancellationToken.None);
        var taken = await Assert.ThrowsAsync<UserException>(() => _accounts.SetBadgeAsync("admin@host", "petr", "P100001", CancellationToken.None));
        Assert.Contains("belongs to another user", taken.Message, StringComparison.Ordinal);
        var noBadge = await Assert.ThrowsAsync<UserException>(() => _accounts.SetPinAsync("admin@host", "petr", null, CancellationToken.None));
        Assert.Contains("no badge", noBadge.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<UserException>(() => _accounts.SetBadgeAsync("admin@host", "petr", "../etc", CancellationToken.None));
        var missing = await Assert.ThrowsAsync<UserException>(() => _accounts.SetRolesAsync("admin@host", "nobody", [Roles.Auditor], CancellationToken.None));
        Assert.True(missing.NotFound);
        // The refused changes left no entry: a change and its custody entry are one transaction.
        Assert.Equal(["user olga added: roles officer, badge P100001", "user petr added: roles officer"], (await ChangesAsync()).Select(e => e.Detail));
    }

    [Fact]
    public async Task TheLastEnabledItAdmin_CanBeNeitherDisabledNorDemoted_ButOneOfTwoCan()
    {
        await _accounts.AddAsync("setup@host", "ivan", "correct horse battery", [Roles.ItAdmin], null, CancellationToken.None);
        await Assert.ThrowsAsync<UserException>(() => _accounts.SetDisabledAsync("ivan@api", "ivan", true, CancellationToken.None));
        await Assert.ThrowsAsync<UserException>(() => _accounts.SetRolesAsync("ivan@api", "ivan", [Roles.Auditor], CancellationToken.None));
        await _accounts.AddAsync("ivan@api", "iris", "correct horse battery", [Roles.ItAdmin, Roles.Auditor], null, CancellationToken.None);
        await _accounts.SetRolesAsync("iris@api", "ivan", [Roles.Auditor], CancellationToken.None);
        Assert.Equal([Roles.Auditor], (await _accounts.FindAsync("ivan", CancellationToken.None))!.Roles);
        await Assert.ThrowsAsync<UserException>(() => _accounts.SetDisabledAsync("iris@api", "iris", true, CancellationToken.None));
        var changes = await ChangesAsync();
        Assert.Equal(["setup@host", "ivan@api", "iris@api"], changes.Select(e => e.Actor));
        Assert.Equal("user ivan: roles it-admin -> auditor", changes[^1].Detail);
    }

    private static MemoryStream Zip(params (string Name, byte[] Bytes)[] files)
    {
        var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in files)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(bytes);
            }
        stream.Position = 0;
        return stream;
    }

    [Theory]
    [InlineData("../catalog.db", "not part of a custody log export")]
    [InlineData("entries/../../x", "not part of a custody log export")]
    [InlineData("entries/12", "not part of a custody log export")]
    [InlineData("/etc/passwd", "not part of a custody log export")]
    public async Task AnUploadedExport_NamingAnythingElse_IsRefused(string name, string message)
    {
        using var zip = Zip(("entries/000000000000", "x"u8.ToArray()), (name, "x"u8.ToArray()));
        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => LogExport.ReadZipAsync(zip, CancellationToken.None));
        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUploadedExport_WithAnOversizedEntry_OrNoEntries_OrNoZip_IsRefused()
    {
        using (var big = Zip(("entries/000000000000", new byte[LogExport.MaxEntryBytes + 1])))
            Assert.Contains("larger than it can be", (await Assert.ThrowsAsync<InvalidDataException>(() => LogExport.ReadZipAsync(big, CancellationToken.None))).Message,
                StringComparison.Ordinal);
        using (var empty = Zip(("README.txt", "hello"u8.ToArray())))
            Assert.Contains("no entries", (await Assert.ThrowsAsync<InvalidDataException>(() => LogExport.ReadZipAsync(empty, CancellationToken.None))).Message,
                StringComparison.Ordinal);
        using var junk = new MemoryStream(Encoding.UTF8.GetBytes("not a zip at all"));
        Assert.Contains("Not a ZIP", (await Assert.ThrowsAsync<InvalidDataException>(() => LogExport.ReadZipAsync(junk, CancellationToken.None))).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExportRoundTrip_ThroughTheZipReader_Verifies()
    {
        for (int i = 0; i < 5; i++)
            await _log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.Viewed, at, _log.DockId, "tester", Detail: $"event {i}"), CancellationToken.None);
        using var zip = new MemoryStream();
        await new Exports.LogExports(_catalog.Database, _log, _key.PublicKey.ToArray()).ExportZipAsync(zip, "auditor@api", CancellationToken.None);
        zip.Position = 0;
        var (entries, notes, key) = await LogExport.ReadZipAsync(zip, CancellationToken.None);
        Assert.Equal(6, entries.Count); // five, and the export's own entry
        Assert.Equal(_key.PublicKey.ToArray(), key);
        Assert.Equal(VerifyOutcome.Verified, LogVerifier.Verify(entries, notes, [_key.PublicKey.ToArray()], keysTrusted: true).Outcome);
    }
}
