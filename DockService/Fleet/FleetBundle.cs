using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Dock.Service.Fleet;

/// <summary>Why a bundle was not taken. The CLI exits 2 on each; the dock raises <c>fleet-bundle-refused</c> naming it.</summary>
public enum BundleRefusal
{
    /// <summary>Plain JSON, or a note with no signature line.</summary>
    Unsigned,
    /// <summary>Signed, but by no configuration key this dock trusts.</summary>
    UnknownKey,
    /// <summary>A trusted key's signature line is there and does not verify: a forgery, or a bundle changed after signing.</summary>
    BadSignature,
    /// <summary>The version is not above the one the dock runs (a replay, or a rollback not made as a new version).</summary>
    VersionNotHigher,
    /// <summary>The JSON breaks hardware-specs/fleet-bundle-v1.schema.json, or its settings are not valid for this dock.</summary>
    Schema,
    /// <summary>Not JSON, not a note, too large, or no purpose line.</summary>
    Malformed,
}

public sealed class FleetBundleException(BundleRefusal refusal, string message) : Exception(message)
{
    public BundleRefusal Refusal { get; } = refusal;

    /// <summary>The refusal as the CLI, the alert and the status object name it: unsigned, unknown-key, bad-signature, version-not-higher, schema, malformed.</summary>
    public string Reason => Refusal switch
    {
        BundleRefusal.Unsigned => "unsigned",
        BundleRefusal.UnknownKey => "unknown-key",
        BundleRefusal.BadSignature => "bad-signature",
        BundleRefusal.VersionNotHigher => "version-not-higher",
        BundleRefusal.Schema => "schema",
        _ => "malformed",
    };
}

/// <summary>A recorder profile: the JSON object the bundle gives for one model, in its exact bytes (compact, in the bundle's order), and
/// their SHA-256 — what DockLink PUT_CONFIG carries and the recorder reports back.</summary>
public sealed record RecorderProfile(string Model, byte[] Bytes, string Sha256);

/// <summary>A firmware image the bundle names: the recorder model it is for, its version, the SHA-256 and size of its bytes, the agency's signature
/// over them (docklink-v1.md §7.6; hex) and the battery a camera needs before it is sent.</summary>
public sealed record FirmwareImage(string Model, string Version, string Sha256, long Size, string Signature, int MinimumBatteryPercent)
{
    public const int DefaultMinimumBatteryPercent = 30;
}

public enum CohortKind { Hash, Site, List }

/// <summary>One step of a rollout: a cumulative percentage of docks (by a stable hash of the dock id), or the sites or dock ids it adds.</summary>
public sealed record RolloutStep(int? Percent, IReadOnlyList<string> Names)
{
    public override string ToString() => Percent is { } p ? $"{p}%" : string.Join(",", Names);
}

public sealed record RolloutPlan(CohortKind Cohorts, IReadOnlyList<RolloutStep> Steps, double FailureThreshold)
{
    /// <summary>No plan in the bundle: every dock at once, and any failure stops a later advance (there is none).</summary>
    public static readonly RolloutPlan Everyone = new(CohortKind.Hash, [new RolloutStep(100, [])], 0);

    /// <summary>Whether dock <paramref name="dockId"/> (at <paramref name="site"/>) is in the docks steps 0..<paramref name="step"/> cover.</summary>
    public bool Covers(int step, string dockId, string? site)
    {
        step = Math.Clamp(step, 0, Steps.Count - 1);
        return Cohorts switch
        {
            CohortKind.Hash => CohortPoint(dockId) < (Steps[step].Percent ?? 0) * 100,
            CohortKind.Site => site is not null && Steps.Take(step + 1).Any(s => s.Names.Contains(site, StringComparer.Ordinal) || s.Names.Contains("*")),
            _ => Steps.Take(step + 1).Any(s => s.Names.Contains(dockId, StringComparer.Ordinal) || s.Names.Contains("*")),
        };
    }

    /// <summary>Where a dock falls in 0..9999: the first 8 bytes of SHA-256("dock-fleet-cohort\n" ‖ dock id), mod 10000. Stable across
    /// bundles, so the same docks go first every time (the canaries an agency knows), and spread evenly.</summary>
    public static int CohortPoint(string dockId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("dock-fleet-cohort\n" + dockId));
        return (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash) % 10_000);
    }
}

/// <summary>
/// A fleet bundle (hardware-specs/fleet-bundle-v1.md): dock settings (for all docks, per site, per dock), recorder profiles per model,
/// firmware images by model and SHA-256, and a rollout plan, under a version that only increases. Parsing validates it against the
/// published schema (embedded), then reads the typed parts; anything else is a <see cref="FleetBundleException"/>.
/// </summary>
public sealed class FleetBundle
{
    public const string Format = "dock-fleet-bundle/v1";

    /// <summary>The largest bundle taken (JSON or note): settings, profiles and a long rollout list fit many times over.</summary>
    public const int MaxBytes = 1024 * 1024;

    private static readonly Lazy<JsonSchema> Schema = new(() =>
    {
        using var stream = typeof(FleetBundle).Assembly.GetManifestResourceStream("Dock.Service.Fleet.fleet-bundle-v1.schema.json")
            ?? throw new InvalidOperationException("The fleet bundle schema is not embedded in the dock.");
        using var reader = new StreamReader(stream);
        return JsonSchema.FromText(reader.ReadToEnd());
    });

    /// <summary>Indented, with Chinese left readable: the form a bundle is written and signed in.</summary>
    internal static readonly JsonSerializerOptions Written = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private FleetBundle(JsonObject root, long version, DateTimeOffset created)
    {
        Root = root;
        Version = version;
        Created = created;
    }

    /// <summary>The whole JSON document, as parsed.</summary>
    public JsonObject Root { get; }
    public long Version { get; }
    public DateTimeOffset Created { get; }
    public string? Description => Root["description"]?.GetValue<string>();

    public JsonObject? Dock => Root["dock"] as JsonObject;

    public JsonObject? Site(string? site) => site is not null && Root["sites"] is JsonObject sites ? sites[site] as JsonObject : null;

    public JsonObject? ForDock(string dockId) => Root["docks"] is JsonObject docks ? docks[dockId] as JsonObject : null;

    public IReadOnlyList<RecorderProfile> RecorderProfiles => Root["recorderProfiles"] is JsonArray profiles
        ? [.. profiles.OfType<JsonObject>().Select(p =>
        {
            var bytes = Encoding.UTF8.GetBytes(p.ToJsonString(Compact));
            return new RecorderProfile(p["model"]!.GetValue<string>(), bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        })]
        : [];

    public IReadOnlyList<FirmwareImage> Firmware => Root["firmware"] is JsonArray images
        ? [.. images.OfType<JsonObject>().Select(f => new FirmwareImage(f["model"]!.GetValue<string>(), f["version"]!.GetValue<string>(),
            f["sha256"]!.GetValue<string>(), f["size"]!.GetValue<long>(), f["signature"]!.GetValue<string>(),
            f["minimumBatteryPercent"]?.GetValue<int>() ?? FirmwareImage.DefaultMinimumBatteryPercent))]
        : [];

    public RolloutPlan Rollout
    {
        get
        {
            if (Root["rollout"] is not JsonObject plan) return RolloutPlan.Everyone;
            var kind = plan["cohorts"]!.GetValue<string>() switch { "site" => CohortKind.Site, "list" => CohortKind.List, _ => CohortKind.Hash };
            var steps = plan["steps"]!.AsArray().Select(s => s is JsonArray names
                ? new RolloutStep(null, [.. names.Select(n => n!.GetValue<string>())])
                : new RolloutStep(s!.GetValue<int>(), [])).ToList();
            return new RolloutPlan(kind, steps, plan["failureThreshold"]?.GetValue<double>() ?? 0);
        }
    }

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The JSON as it is written and signed.</summary>
    public string ToJson() => Root.ToJsonString(Written) + "\n";

    /// <summary>Parses and validates bundle JSON. Every failure is a <see cref="FleetBundleException"/> (malformed or schema) saying where.</summary>
    public static FleetBundle Parse(string json)
    {
        if (Encoding.UTF8.GetByteCount(json) > MaxBytes)
            throw new FleetBundleException(BundleRefusal.Malformed, $"the bundle is larger than {MaxBytes / 1024} KiB");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw new FleetBundleException(BundleRefusal.Malformed, $"the bundle is not JSON: {ex.Message}");
        }
        if (node is not JsonObject root)
            throw new FleetBundleException(BundleRefusal.Schema, "the bundle is not a JSON object");
        using (var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 }))
        {
            var result = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            if (!result.IsValid)
                throw new FleetBundleException(BundleRefusal.Schema, "the bundle breaks fleet-bundle-v1.schema.json: " + Describe(result));
        }
        var created = root["created"]!.GetValue<string>();
        if (!DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            throw new FleetBundleException(BundleRefusal.Schema, $"created '{created}' is not a date and time (RFC 3339, e.g. 2026-12-04T08:00:00Z)");
        var bundle = new FleetBundle(root, root["version"]!.GetValue<long>(), at.ToUniversalTime());
        var plan = bundle.Rollout;
        if (plan.Cohorts == CohortKind.Hash != plan.Steps.All(s => s.Percent is not null))
            throw new FleetBundleException(BundleRefusal.Schema, "rollout.steps: a hash rollout's steps are percentages, a site or list rollout's are lists of names");
        if (plan.Cohorts == CohortKind.Hash && plan.Steps.Zip(plan.Steps.Skip(1)).Any(p => p.Second.Percent <= p.First.Percent))
            throw new FleetBundleException(BundleRefusal.Schema, "rollout.steps: the percentages must increase");
        var models = bundle.RecorderProfiles.GroupBy(p => p.Model).FirstOrDefault(g => g.Count() > 1);
        if (models is not null)
            throw new FleetBundleException(BundleRefusal.Schema, $"recorderProfiles: model '{models.Key}' has more than one profile");
        var firmware = bundle.Firmware.GroupBy(f => f.Model).FirstOrDefault(g => g.Count() > 1);
        if (firmware is not null)
            throw new FleetBundleException(BundleRefusal.Schema, $"firmware: model '{firmware.Key}' has more than one image");
        return bundle;
    }

    /// <summary>The first few schema errors, each with where in the bundle it is.</summary>
    private static string Describe(EvaluationResults result)
    {
        var errors = new List<string>();
        void Walk(EvaluationResults r)
        {
            if (r.Errors is { Count: > 0 } found)
                foreach (var (_, message) in found)
                    errors.Add($"{(r.InstanceLocation.ToString() is { Length: > 0 } at ? at : "/")}: {message}");
            if (r.Details is { } details)
                foreach (var d in details) Walk(d);
        }
        Walk(result);
        return errors.Count == 0 ? "invalid" : string.Join("; ", errors.Distinct().Take(5)) + (errors.Count > 5 ? $" (and {errors.Count - 5} more)" : "");
    }

    /// <summary>A new bundle of <paramref name="dock"/> settings at <paramref name="version"/>.</summary>
    public static FleetBundle Create(long version, DateTimeOffset created, string description, JsonObject dock, JsonArray? profiles = null)
    {
        var root = new JsonObject
        {
            ["format"] = Format,
            ["version"] = version,
            ["created"] = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["description"] = description,
            ["dock"] = dock,
        };
        if (profiles is not null) root["recorderProfiles"] = profiles;
        root["rollout"] = new JsonObject { ["cohorts"] = "hash", ["steps"] = new JsonArray(100), ["failureThreshold"] = 0.0 };
        return Parse(root.ToJsonString(Written));
    }
}
