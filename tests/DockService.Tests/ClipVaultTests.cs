using Dock.Service.Vault;

namespace Dock.Service.Tests;

public sealed class ClipVaultTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("dock-vault-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task OpenPartial_CutsBytesBeyondTheDurableOffset()
    {
        var vault = new ClipVault(_dir.FullName);
        await using (var partial = vault.OpenPartial("R1", "c1", 0))
        {
            partial.Write(new byte[1000]);
            partial.FlushToDisk();
        }

        await using (var resumed = vault.OpenPartial("R1", "c1", 600))
            Assert.Equal(600, resumed.ResumedAt);
        Assert.Equal(600, new FileInfo(vault.PartialPath("R1", "c1")).Length);
    }

    [Fact]
    public async Task Commit_MovesToFinalName_AndNeverOverwrites()
    {
        var vault = new ClipVault(_dir.FullName);
        var partial = vault.OpenPartial("R1", "c1", 0);
        partial.Write(new byte[] { 1, 2, 3 });
        await partial.DisposeAsync();

        var relative = vault.Commit(partial, "R1", "c1");

        Assert.Equal(Path.Combine("vault", "clips", "~1~R1", "c1"), relative);
        Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(vault.Resolve(relative)));
        Assert.False(File.Exists(partial.Path));

        var second = vault.OpenPartial("R1", "c1", 0);
        await second.DisposeAsync();
        Assert.Throws<IOException>(() => vault.Commit(second, "R1", "c1"));
        Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(vault.Resolve(relative)));
    }

    [Fact]
    public async Task Quarantine_KeepsEveryBadCopy()
    {
        var vault = new ClipVault(_dir.FullName);
        var at = DateTimeOffset.UtcNow;
        var paths = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            var bad = Path.Combine(_dir.FullName, $"bad{i}");
            await File.WriteAllBytesAsync(bad, [(byte)i]);
            paths.Add(vault.Quarantine(bad, "R1", "c1", at));
        }

        Assert.Equal(2, paths.Distinct().Count());
        Assert.All(paths, p => Assert.True(File.Exists(vault.Resolve(p))));
    }
}
