using Dock.DeviceProtocol.Messages;
using Dock.Service.Configuration;
using Dock.Service.Recorders.MassStorage;

namespace Dock.Service.Tests;

/// <summary>How a mass-storage recorder's disk is read (recorder-command-channel-v1.md §7), on real folders.</summary>
public sealed class MassStorageLayoutTests : IDisposable
{
    private readonly string _disk = Directory.CreateTempSubdirectory("dock-disk-").FullName;

    public void Dispose() => Directory.Delete(_disk, recursive: true);

    private string Put(string relative, int size = 10, DateTime? written = null)
    {
        var path = Path.Combine(_disk, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[size]);
        if (written is { } w) File.SetLastWriteTimeUtc(path, w);
        return path;
    }

    [Fact]
    public void Scan_DefaultLayout_FindsClipsInKnownFolders_SkipsEverythingElse()
    {
        Put("DCIM/100MEDIA/ZFY1_P1_20261125083000_0001.MP4");
        Put("AUDIO/REC_20261125-090000_IMP.WAV");
        Put("DCIM/100MEDIA/.hidden.mp4");
        Put("DCIM/100MEDIA/notes.txt");
        Put("SYSTEM/firmware.bin");
        Put("ROOT.MP4");

        var clips = new ClipLayout(new MassStorageOptions { TimeZone = "Asia/Shanghai" }).Scan(_disk);

        var ids = clips.Select(c => c.ClipId).ToList();
        Assert.Contains("DCIM_100MEDIA_ZFY1_P1_20261125083000_0001.MP4", ids);
        Assert.Contains("AUDIO_REC_20261125-090000_IMP.WAV", ids);
        Assert.DoesNotContain(ids, i => i.Contains("hidden", StringComparison.Ordinal) || i.Contains("notes", StringComparison.Ordinal)
            || i.Contains("firmware", StringComparison.Ordinal) || i.Contains("ROOT", StringComparison.Ordinal));
        var video = clips.Single(c => c.ClipId.StartsWith("DCIM_100MEDIA_ZFY1", StringComparison.Ordinal));
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 0, 30, 0, TimeSpan.Zero), video.Start.ToUniversalTime()); // 08:30 in UTC+8
        Assert.Equal(ClipFlags.None, video.Flags);
        Assert.Equal(ClipFlags.Important, clips.Single(c => c.ClipId.StartsWith("AUDIO", StringComparison.Ordinal)).Flags);
        Assert.All(ids, id => Assert.True(Identifier.IsValid(id), id));
    }

    [Fact]
    public void Scan_LinksAreNeverFollowed_NoFileFromOutsideTheDisk()
    {
        var outside = Directory.CreateTempSubdirectory("dock-outside-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "secret.txt"), "not footage");
            Directory.CreateDirectory(Path.Combine(outside, "more"));
            File.WriteAllText(Path.Combine(outside, "more", "x.mp4"), "not footage either");
            Put("DCIM/100MEDIA/real.mp4");
            File.CreateSymbolicLink(Path.Combine(_disk, "DCIM", "100MEDIA", "evil.mp4"), Path.Combine(outside, "secret.txt"));
            Directory.CreateSymbolicLink(Path.Combine(_disk, "DCIM", "LINKED"), Path.Combine(outside, "more"));
            Directory.CreateSymbolicLink(Path.Combine(_disk, "VIDEO"), Path.Combine(outside, "more"));
            Directory.CreateSymbolicLink(Path.Combine(_disk, "DCIM", "100MEDIA", "loop"), Path.Combine(_disk, "DCIM"));

            var clips = new ClipLayout(new MassStorageOptions()).Scan(_disk);

            Assert.Equal("DCIM/100MEDIA/real.mp4", Assert.Single(clips).RelativePath);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void ClipIdFor_NamesThatAreNoIdentifier_GetAStableDistinctHashSuffix()
    {
        var a = ClipLayout.ClipIdFor("DCIM/执法 记录/视频 1.mp4");
        var b = ClipLayout.ClipIdFor("DCIM/执法 记录/视频 2.mp4");
        var longName = ClipLayout.ClipIdFor("DCIM/" + new string('A', 80) + ".MP4");

        Assert.True(Identifier.IsValid(a) && Identifier.IsValid(b) && Identifier.IsValid(longName));
        Assert.NotEqual(a, b);
        Assert.Equal(a, ClipLayout.ClipIdFor("DCIM/执法 记录/视频 1.mp4"));
        Assert.Equal("DCIM_X.MP4", ClipLayout.ClipIdFor("DCIM/X.MP4"));
    }

    [Fact]
    public void Scan_ConfiguredLayout_MandatoryFolderAndMarkers_NoNameTimeFallsBackToFileTimes()
    {
        var written = new DateTime(2026, 11, 24, 18, 0, 0, DateTimeKind.Utc);
        Put("EVIDENCE/ARREST/clip.mov", written: written);
        Put("EVIDENCE/other.mov", written: written);

        var clips = new ClipLayout(new MassStorageOptions { Folders = ["EVIDENCE"], Extensions = ["mov"], MandatoryFolders = ["EVIDENCE/ARREST"] }).Scan(_disk);

        Assert.Equal(2, clips.Count);
        var arrest = clips.Single(c => c.RelativePath == "EVIDENCE/ARREST/clip.mov");
        Assert.Equal(ClipFlags.Mandatory, arrest.Flags);
        Assert.Equal(written, arrest.End.UtcDateTime);
        Assert.True(arrest.Start <= arrest.End);
        Assert.Equal(ClipFlags.None, clips.Single(c => c.RelativePath == "EVIDENCE/other.mov").Flags);
    }

    [Fact]
    public void Scan_IsBounded_ByMaxClipsAndDepth()
    {
        for (int i = 0; i < 20; i++) Put($"DCIM/{i:D3}.mp4");
        Put("DCIM/a/b/c/d/e/f/deep.mp4");

        Assert.Equal(5, new ClipLayout(new MassStorageOptions { MaxClips = 5 }).Scan(_disk).Count);
        Assert.DoesNotContain(new ClipLayout(new MassStorageOptions { MaxDepth = 2 }).Scan(_disk), c => c.RelativePath.EndsWith("deep.mp4", StringComparison.Ordinal));
    }

    [Fact]
    public void MountTable_FindsTheDiskOrItsFirstMountedPartition_UnescapingSpaces()
    {
        var mounts = Path.Combine(_disk, "mounts");
        File.WriteAllLines(mounts,
        [
            "/dev/sda1 / ext4 rw,relatime 0 0",
            "/dev/sdb1 /media/dock/REC\\040ONE vfat rw,nosuid 0 0",
            "/dev/sdc /media/dock/whole exfat rw 0 0",
            "/dev/mmcblk0p2 /media/dock/card vfat rw 0 0",
            "garbage",
        ]);

        Assert.Equal("/media/dock/REC ONE", MountTable.FindMountPoint(mounts, "sdb"));
        Assert.Equal("/media/dock/whole", MountTable.FindMountPoint(mounts, "sdc"));
        Assert.Equal("/media/dock/card", MountTable.FindMountPoint(mounts, "mmcblk0"));
        Assert.Null(MountTable.FindMountPoint(mounts, "sdd"));
        Assert.Null(MountTable.FindMountPoint(mounts, "sd")); // sda1 belongs to sda, not to "sd"
        Assert.Null(MountTable.FindMountPoint(Path.Combine(_disk, "missing"), "sdb"));
    }
}

/// <summary>Opening a mass-storage recorder whose command channel is gone (it re-enumerated as a plain disk).</summary>
public sealed class MassStorageOpenTests : IDisposable
{
    private readonly string _disk = Directory.CreateTempSubdirectory("dock-disk-").FullName;

    public void Dispose() => Directory.Delete(_disk, recursive: true);

    private static Task<string?> NoKnownHash(string serial, string clip, long size, CancellationToken ct) => Task.FromResult<string?>(null);

    [Fact]
    public async Task ChannelGone_DiskStillThere_RememberedIdentityUsed_OtherwiseConnectionLost()
    {
        var remembered = new Identification(new Dock.DeviceProtocol.CommandChannel.RecorderIdentity("ZFY-1", "ZFY", "M", "1"),
            new Dock.DeviceProtocol.CommandChannel.OfficerInfo("P1", "", "", ""), TimeSpan.FromSeconds(-42), null, _disk);

        await using var reopened = await MassStorageRecorder.OpenAsync(new GoneCommandChannel("gone"), () => _disk, new MassStorageOptions(), NoKnownHash,
            TimeProvider.System, CancellationToken.None, remembered);
        Assert.Equal("ZFY-1", reopened.Serial);
        Assert.Equal(TimeSpan.FromSeconds(-42), await reopened.SyncTimeAsync(CancellationToken.None));
        Assert.Null(await reopened.GetPowerAsync(CancellationToken.None)); // unknown, not made up
        Assert.Empty(reopened.ProvedKey);

        // Another disk (or none remembered): the dock cannot say whose it is, so it does not open it.
        var error = await Assert.ThrowsAsync<Dock.DeviceProtocol.Errors.DockLinkException>(() => MassStorageRecorder.OpenAsync(new GoneCommandChannel("gone"),
            () => _disk, new MassStorageOptions(), NoKnownHash, TimeProvider.System, CancellationToken.None, remembered with { Volume = "/elsewhere" }));
        Assert.Equal(Dock.DeviceProtocol.Errors.DockLinkFailure.ConnectionLost, error.Failure);
    }
}
