using System.Text.Json;
using Dock.EndToEnd.Tests.Support;

namespace Dock.EndToEnd.Tests.Fleet;

/// <summary>
/// Fifty docks (whole dock hosts, each with its own catalog, key and endorsement) share one s3rver bucket, through `dock bench fleet`
/// in its own process (the S3 settings are process-wide): a 10 %, 50 %, 100 % rollout reaches every dock; idle docks cost one 304 per
/// look; and a version that a share of the second step's docks cannot apply halts the advance there, with every dock beyond it left on
/// the version before (docks never jump ahead).
/// </summary>
public sealed class FleetScaleTests
{
    [Fact]
    public async Task FiftyDocks_OneBucket_RolloutReachesAll_IdleCostsOne304PerLook_AndAFailingCohortHaltsTheAdvance()
    {
        var (code, stdout, stderr) = await DockHarness.RunDockAsync("bench", "fleet", "--docks", "50", "--poll", "1", "--idle", "5", "--json");
        Assert.True(code == 0, $"dock bench fleet exited {code}: {stdout} {stderr}");
        using var result = JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        var r = result.RootElement;
        Assert.Equal(50, r.GetProperty("AppliedV1").GetInt32());
        Assert.Equal(3, r.GetProperty("StepSeconds").GetArrayLength());
        // Idle: every look a conditional GET answered 304, no bundle read again, no status rewritten (nothing changed).
        Assert.Equal(1.0, r.GetProperty("NotModifiedShare").GetDouble());
        Assert.Equal(0, r.GetProperty("IdleBundleReads").GetInt64());
        Assert.Equal(1.0, r.GetProperty("IdleRequestsPerLook").GetDouble());
        // The failing cohort halts at step 2; the docks beyond it all keep version 1.
        Assert.Equal(2, r.GetProperty("HaltedAtStep").GetInt32());
        Assert.Contains("failed version 2", r.GetProperty("HaltReason").GetString(), StringComparison.Ordinal);
        Assert.True(r.GetProperty("FailedV2").GetInt32() > 0);
        Assert.Equal(r.GetProperty("BeyondStep").GetInt32(), r.GetProperty("BeyondStepOnV1").GetInt32());
        Assert.True(r.GetProperty("BeyondStep").GetInt32() > 0);
    }
}
