using Dock.DeviceProtocol.Messages;
using Microsoft.Extensions.Options;
using Dock.Service.Upload;

namespace Dock.Service.Configuration;

/// <summary>Every problem in the configuration at once, each naming its key, so one start-up fixes all.</summary>
public sealed class DockOptionsValidator : IValidateOptions<DockOptions>
{
    /// <summary>When false (the demo, the benchmark), an empty bay list is fine: they add their own.</summary>
    public bool RequireBays { get; init; } = true;

    public ValidateOptionsResult Validate(string? name, DockOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
            errors.Add("Dock:DataDirectory must name a folder.");
        if (options.DockId is not null && !Identifier.IsValid(options.DockId))
            errors.Add($"Dock:DockId '{options.DockId}' is not valid: {Identifier.Rule}.");
        if (RequireBays && options.Bays.Count == 0)
            errors.Add("Dock:Bays is empty: configure at least one bay, e.g. --Dock:Bays:0:Id=1 --Dock:Bays:0:Endpoint=tcp://127.0.0.1:7001.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Two bays on one port (or one disk) would open the same recorder twice, each pulling and releasing beside the other.
        var ports = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        void OnePort(string port, int bay, string key)
        {
            if (!ports.TryAdd(port, bay))
                errors.Add($"Dock:Bays:{bay}:{key} {port} is also Dock:Bays:{ports[port]}'s: one recorder port per bay.");
        }
        for (int i = 0; i < options.Bays.Count; i++)
        {
            var bay = options.Bays[i];
            if (!Identifier.IsValid(bay.Id))
                errors.Add($"Dock:Bays:{i}:Id '{bay.Id}' is not valid: {Identifier.Rule}.");
            else if (!seen.Add(bay.Id))
                errors.Add($"Dock:Bays:{i}:Id '{bay.Id}' is used by two bays.");
            if (!string.IsNullOrEmpty(bay.UsbPort))
            {
                if (!string.IsNullOrEmpty(bay.Endpoint))
                    errors.Add($"Dock:Bays:{i} has both Endpoint and UsbPort; give one.");
                else if (!System.Text.RegularExpressions.Regex.IsMatch(bay.UsbPort, @"^\d+-\d+(\.\d+)*$"))
                    errors.Add($"Dock:Bays:{i}:UsbPort '{bay.UsbPort}' is not a USB port path like 1-1.3 (see `dock bays scan`).");
                else OnePort($"usb port {bay.UsbPort}", i, "UsbPort");
            }
            else if (!BayEndpoint.TryParse(bay.Endpoint, out var parsed, out var error))
                errors.Add($"Dock:Bays:{i}:Endpoint {error}.");
            else OnePort(parsed.Transport == BayTransport.UsbBulk ? $"usb port {parsed.Usb!.PortPath}" : parsed.ToString(), i, "Endpoint");
            if (bay.Volume is { Length: > 0 } volume) OnePort($"volume {Path.GetFullPath(volume)}", i, "Volume");
            if (!Enum.IsDefined(bay.Driver))
                errors.Add($"Dock:Bays:{i}:Driver '{bay.Driver}' is not DockLink or MassStorage.");
            else if (bay.Driver == RecorderDriver.MassStorage && string.IsNullOrEmpty(bay.UsbPort) && string.IsNullOrWhiteSpace(bay.Volume))
                errors.Add($"Dock:Bays:{i} is a MassStorage bay with a fixed Endpoint (its command channel): give Dock:Bays:{i}:Volume, the disk's mount point.");
            else if (bay.Driver == RecorderDriver.DockLink && !string.IsNullOrEmpty(bay.Volume))
                errors.Add($"Dock:Bays:{i}:Volume is set, but the bay's Driver is DockLink; set Dock:Bays:{i}:Driver=MassStorage.");
        }
        if (options.Bays.Any(b => b.Driver == RecorderDriver.MassStorage))
        {
            var ms = options.MassStorage;
            Positive(errors, "Dock:MassStorage:CommandTimeout", ms.CommandTimeout);
            Positive(errors, "Dock:MassStorage:VolumeTimeout", ms.VolumeTimeout);
            if (System.Text.Encoding.UTF8.GetByteCount(ms.Password) > 32) errors.Add("Dock:MassStorage:Password is longer than the channel's 32 bytes.");
            if (ms.Folders.Count == 0 || ms.Folders.Any(f => f.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(f)))
                errors.Add("Dock:MassStorage:Folders must list folders relative to the disk's root (e.g. DCIM), without '..'.");
            if (ms.Extensions.Count == 0) errors.Add("Dock:MassStorage:Extensions is empty: no file would be a clip.");
            Range(errors, "Dock:MassStorage:MaxDepth", ms.MaxDepth, 0, 16);
            Range(errors, "Dock:MassStorage:MaxClips", ms.MaxClips, 1, 100_000);
            if (ms.TimeZone.Length > 0 && !TimeZoneInfo.TryFindSystemTimeZoneById(ms.TimeZone, out _))
                errors.Add($"Dock:MassStorage:TimeZone '{ms.TimeZone}' is not a known time zone (e.g. Asia/Shanghai).");
        }
        Range(errors, "Dock:MaxConcurrentPulls", options.MaxConcurrentPulls, 1, 64);
        Range(errors, "Dock:MaxPullAttempts", options.MaxPullAttempts, 1, 100);
        Range(errors, "Dock:BatteryHealthAttentionPercent", options.BatteryHealthAttentionPercent, 0, 100);
        Range(errors, "Dock:StorageNearlyFullPercent", options.StorageNearlyFullPercent, 0, 100);
        Range(errors, "Dock:VaultReserveBytes", options.VaultReserveBytes, 0, long.MaxValue / 2);
        Range(errors, "Dock:CheckpointBytes", options.CheckpointBytes, 1024 * 1024, 1L << 36);
        Positive(errors, "Dock:ReconnectInterval", options.ReconnectInterval);
        Positive(errors, "Dock:BatteryPollInterval", options.BatteryPollInterval);
        Positive(errors, "Dock:CheckpointInterval", options.CheckpointInterval);
        Positive(errors, "Dock:Link:RequestTimeout", options.Link.RequestTimeout);
        Positive(errors, "Dock:Link:HandshakeTimeout", options.Link.HandshakeTimeout);
        Positive(errors, "Dock:Link:ConnectTimeout", options.Link.ConnectTimeout);
        Positive(errors, "Dock:StalledPullAlertAfter", options.StalledPullAlertAfter);
        Positive(errors, "Dock:ClipRetryAfter", options.ClipRetryAfter);
        Range(errors, "Dock:Link:ReadChunkSize", options.Link.ReadChunkSize, 4096, 1024 * 1024);
        Range(errors, "Dock:Link:ReadWindow", options.Link.ReadWindow, 1, 64);
        Range(errors, "Dock:Link:MaxListedClips", options.Link.MaxListedClips, 1, 1_000_000);
        Positive(errors, "Dock:Link:ListingDeadline", options.Link.ListingDeadline);
        Range(errors, "Dock:Link:TcpPort", options.Link.TcpPort, 1, 65535);
        foreach (var url in options.Http.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
                errors.Add($"Dock:Http:Urls has '{url}': each address is http://HOST:PORT or https://HOST:PORT (port 0: any free port).");
        if (string.IsNullOrWhiteSpace(options.Http.Urls)) errors.Add("Dock:Http:Urls is empty: give at least one http:// or https:// address.");
        if (options.Http.OtlpEndpoint is { Length: > 0 } otlp && !Uri.TryCreate(otlp, UriKind.Absolute, out _))
            errors.Add($"Dock:Http:OtlpEndpoint '{otlp}' is not an absolute URI (e.g. http://127.0.0.1:4318/v1/metrics).");
        var categories = options.Metadata.EffectiveCategories;
        foreach (var category in categories)
        {
            if (!Dock.DeviceProtocol.Messages.Identifier.IsValid(category.Id))
                errors.Add($"Dock:Metadata:Categories: '{category.Id}' is not a category id ({Dock.DeviceProtocol.Messages.Identifier.Rule}).");
            if (category.Retention < TimeSpan.FromDays(1))
                errors.Add($"Dock:Metadata:Categories: {category.Id} keeps clips {category.Retention}; a retention is at least one day.");
        }
        if (categories.GroupBy(c => c.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            errors.Add($"Dock:Metadata:Categories: the id {twice.Key} is there {twice.Count()} times.");
        if (options.Metadata.MissingTagAlertAfter < TimeSpan.FromMinutes(1) || options.Metadata.MissingTagAlertAfter > TimeSpan.FromDays(30))
            errors.Add($"Dock:Metadata:MissingTagAlertAfter {options.Metadata.MissingTagAlertAfter} must be between 00:01:00 and 30.00:00:00.");
        if (options.Metadata.Location.Length > 200 || options.Metadata.Location.Any(char.IsControl))
            errors.Add("Dock:Metadata:Location is one line of at most 200 characters.");
        var retention = options.Retention;
        if (retention.Uncategorised < TimeSpan.FromDays(1))
            errors.Add($"Dock:Retention:Uncategorised is {retention.Uncategorised}; a retention is at least one day.");
        if (retention.PurgeInterval < TimeSpan.FromSeconds(1) || retention.SpaceCheckInterval < TimeSpan.FromSeconds(1))
            errors.Add("Dock:Retention:PurgeInterval and Dock:Retention:SpaceCheckInterval are at least 00:00:01.");
        Range(errors, "Dock:Retention:PurgeWhenFreeBelow", retention.PurgeWhenFreeBelow, 0, long.MaxValue / 2);
        if (retention.AlertWhenFreeBelow.Bytes < retention.PurgeWhenFreeBelow.Bytes)
            errors.Add($"Dock:Retention:AlertWhenFreeBelow ({retention.AlertWhenFreeBelow}) is below Dock:Retention:PurgeWhenFreeBelow " +
                $"({retention.PurgeWhenFreeBelow}): the alert must come before the purge, so it needs the higher level.");
        var retrieval = options.Retrieval;
        foreach (var (level, roles) in retrieval.Roles)
        {
            if (!Retrieval.SensitivityLevels.TryParse(level, out _))
                errors.Add($"Dock:Retrieval:Roles:{level} is not a sensitivity level ({string.Join(", ", Retrieval.SensitivityLevels.Names)}).");
            else if (roles.Trim().Length > 0 && Users.Roles.Parse(roles, out var problem) is null)
                errors.Add($"Dock:Retrieval:Roles:{level}: {problem}.");
        }
        if (retrieval.Purposes.Any(p => p.Length is 0 or > 40 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            errors.Add("Dock:Retrieval:Purposes are short codes (letters, digits, '-' and '_', up to 40), e.g. case-handling.");
        if (retrieval.ViewIdle < TimeSpan.FromSeconds(1) || retrieval.ViewIdle > TimeSpan.FromHours(12))
            errors.Add($"Dock:Retrieval:ViewIdle {retrieval.ViewIdle} must be between 00:00:01 and 12:00:00.");
        Range(errors, "Dock:Retrieval:OtherUnitClips", retrieval.OtherUnitClips, 1, 100_000);
        Range(errors, "Dock:Retrieval:ClipsPerWindow", retrieval.ClipsPerWindow, 1, 100_000);
        if (retrieval.PatternWindow < TimeSpan.FromMinutes(1) || retrieval.PatternWindow > TimeSpan.FromDays(7))
            errors.Add($"Dock:Retrieval:PatternWindow {retrieval.PatternWindow} must be between 00:01:00 and 7.00:00:00.");
        var fleet = options.Fleet;
        if (fleet.PollInterval < TimeSpan.FromMilliseconds(100) || fleet.PollInterval > TimeSpan.FromDays(1))
            errors.Add($"Dock:Fleet:PollInterval {fleet.PollInterval} must be between 00:00:00.1 and 1.00:00:00.");
        if (fleet.StatusInterval < TimeSpan.FromMilliseconds(100) || fleet.StatusInterval > TimeSpan.FromDays(1))
            errors.Add($"Dock:Fleet:StatusInterval {fleet.StatusInterval} must be between 00:00:00.1 and 1.00:00:00.");
        if (fleet.Site is { } site && !Fleet.FleetNames.IsValid(site))
            errors.Add($"Dock:Fleet:Site '{site}' must be 1-64 of A-Z a-z 0-9 . _ - (starting with a letter or digit).");
        if (fleet.Source.Length > 0 && !CloudTargetUri.TryParse(fleet.Source, out _, out var fleetError))
            errors.Add($"Dock:Fleet:Source {fleetError}");
        for (int i = 0; i < fleet.TrustedKeys.Count; i++)
        {
            try
            {
                Fleet.FleetTrust.ReadKey(Path.Combine(Path.GetFullPath(options.DataDirectory), fleet.TrustedKeys[i]));
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                errors.Add($"Dock:Fleet:TrustedKeys:{i}: {ex.Message}");
            }
        }
        var equipment = options.Equipment;
        Range(errors, "Dock:Equipment:CheckoutMinimumBattery", equipment.CheckoutMinimumBattery, 0, 100);
        if (equipment.ShiftLength < TimeSpan.FromHours(1) || equipment.ShiftLength > TimeSpan.FromHours(24))
            errors.Add($"Dock:Equipment:ShiftLength {equipment.ShiftLength} must be between 01:00:00 and 1.00:00:00.");
        if (equipment.DockWithin < TimeSpan.Zero || equipment.DockWithin > TimeSpan.FromDays(2))
            errors.Add($"Dock:Equipment:DockWithin {equipment.DockWithin} must be between 00:00:00 and 2.00:00:00.");
        if (double.IsNaN(equipment.ChargeRateDrop) || equipment.ChargeRateDrop is <= 0 or >= 1)
            errors.Add($"Dock:Equipment:ChargeRateDrop {equipment.ChargeRateDrop} must be above 0 and below 1 (0.25 = a quarter slower).");
        if (equipment.FullChargeWithin < TimeSpan.FromMinutes(30) || equipment.FullChargeWithin > TimeSpan.FromDays(1))
            errors.Add($"Dock:Equipment:FullChargeWithin {equipment.FullChargeWithin} must be between 00:30:00 and 1.00:00:00.");
        Range(errors, "Dock:Equipment:FailuresToFlag", equipment.FailuresToFlag, 1, 5);
        Range(errors, "Dock:Equipment:HealthWindow", equipment.HealthWindow, 4, 100);
        if (equipment.TakeWithin < TimeSpan.FromSeconds(1) || equipment.TakeWithin > TimeSpan.FromHours(2))
            errors.Add($"Dock:Equipment:TakeWithin {equipment.TakeWithin} must be between 00:00:01 and 02:00:00.");
        if (equipment.ReturnAfter < TimeSpan.Zero || equipment.ReturnAfter > TimeSpan.FromHours(1))
            errors.Add($"Dock:Equipment:ReturnAfter {equipment.ReturnAfter} must be between 00:00:00 and 01:00:00.");
        if (equipment.CheckInterval < TimeSpan.FromSeconds(1) || equipment.CheckInterval > TimeSpan.FromDays(1))
            errors.Add($"Dock:Equipment:CheckInterval {equipment.CheckInterval} must be between 00:00:01 and 1.00:00:00.");
        foreach (var (policy, i) in equipment.Units.Select((p, i) => (p, i)).Prepend((new UnitPolicyOptions { Unit = "(default)", Ratio = equipment.Ratio,
                     MinimumSpare = equipment.MinimumSpare, MinimumReady = equipment.MinimumReady }, -1)))
        {
            var at = i < 0 ? "Dock:Equipment" : $"Dock:Equipment:Units:{i}";
            if (i >= 0 && !Dock.DeviceProtocol.Messages.Identifier.IsValid(policy.Unit)) errors.Add($"{at}:Unit '{policy.Unit}' is not a unit code.");
            if (policy.Ratio is { } ratio && (double.IsNaN(ratio) || ratio < 0 || ratio > 10)) errors.Add($"{at}:Ratio {ratio} must be between 0 and 10.");
            if (policy.MinimumSpare is < 0 or > 10_000) errors.Add($"{at}:MinimumSpare must be between 0 and 10000.");
            if (policy.MinimumReady is < 0 or > 10_000) errors.Add($"{at}:MinimumReady must be between 0 and 10000.");
        }
        if (equipment.Units.GroupBy(u => u.Unit, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twiceUnit)
            errors.Add($"Dock:Equipment:Units: unit {twiceUnit.Key} is there {twiceUnit.Count()} times.");
        if (options.Web.KioskIdleTimeout < TimeSpan.FromSeconds(5) || options.Web.KioskIdleTimeout > TimeSpan.FromMinutes(30))
            errors.Add($"Dock:Web:KioskIdleTimeout {options.Web.KioskIdleTimeout} must be between 00:00:05 and 00:30:00.");
        if (options.Http.OtlpInterval < TimeSpan.FromSeconds(1) || options.Http.OtlpInterval > TimeSpan.FromHours(1))
            errors.Add($"Dock:Http:OtlpInterval {options.Http.OtlpInterval} must be between 00:00:01 and 01:00:00.");
        if (!Upload.CloudTargetUri.TryParse(options.Cloud.Target, out var cloudTarget, out var cloudError))
            errors.Add($"Dock:Cloud:Target {cloudError}");
        else if (cloudTarget.Kind == Upload.CloudKind.None && options.ReleasePolicy == ReleasePolicy.AfterCloudVerify)
            errors.Add("Dock:Cloud:Target is none, but Dock:ReleasePolicy is AfterCloudVerify: recorders would never be released. " +
                "Set a target, or Dock:ReleasePolicy=AfterLocalVerify (or Never).");
        Range(errors, "Dock:Cloud:MaxConcurrentUploads", options.Cloud.MaxConcurrentUploads, 1, 64);
        if (options.Cloud.MaxMBps < 0 || double.IsNaN(options.Cloud.MaxMBps)) errors.Add($"Dock:Cloud:MaxMBps is {options.Cloud.MaxMBps}; use 0 (no cap) or a positive MB/s.");
        Range(errors, "Dock:Cloud:PartSize", options.Cloud.PartSize, 5L * 1024 * 1024, 512L * 1024 * 1024);
        Range(errors, "Dock:Cloud:MultipartThreshold", options.Cloud.MultipartThreshold, options.Cloud.PartSize, 1L << 40);
        for (int i = 0; i < options.Cloud.Blackout.Count; i++)
            if (!Upload.UploadWindows.TryParse(options.Cloud.Blackout[i], out _, out var windowError))
                errors.Add($"Dock:Cloud:Blackout:{i} {windowError}");
        if (options.Cloud.PendingAlertAfter <= TimeSpan.Zero) errors.Add("Dock:Cloud:PendingAlertAfter must be above zero.");
        Positive(errors, "Dock:Cloud:MaxRetryDelay", options.Cloud.MaxRetryDelay);
        Positive(errors, "Dock:Cloud:OutageAlertAfter", options.Cloud.OutageAlertAfter);
        Positive(errors, "Dock:Cloud:TargetRecheckInterval", options.Cloud.TargetRecheckInterval);
        Positive(errors, "Dock:Identity:EndorsementCheckInterval", options.Identity.EndorsementCheckInterval);
        if (options.Identity.EndorsementWarning <= TimeSpan.Zero || options.Identity.EndorsementWarning > TimeSpan.FromDays(365))
            errors.Add($"Dock:Identity:EndorsementWarning is {options.Identity.EndorsementWarning}; it must be above zero and at most 365 days.");
        if (options.Board.Driver != BoardDriver.None)
        {
            var used = new Dictionary<int, string>();
            for (int i = 0; i < options.Board.Bays.Count; i++)
            {
                var pins = options.Board.Bays[i];
                if (!options.Bays.Any(b => b.Id == pins.BayId))
                    errors.Add($"Dock:Board:Bays:{i}:BayId '{pins.BayId}' names no configured bay.");
                foreach (var (line, pin) in new[] { ("RedPin", pins.RedPin), ("GreenPin", pins.GreenPin), ("BluePin", pins.BluePin), ("ChargePin", pins.ChargePin) })
                {
                    if (pin is < 0 or > 1023) errors.Add($"Dock:Board:Bays:{i}:{line} is {pin}; give the GPIO line number (0..1023).");
                    else if (!used.TryAdd(pin, $"Dock:Board:Bays:{i}:{line}")) errors.Add($"Dock:Board:Bays:{i}:{line} uses line {pin}, already used by {used[pin]}.");
                }
            }
        }
        if (string.IsNullOrWhiteSpace(options.Identity.KeyFile))
            errors.Add("Dock:Identity:KeyFile must name a file.");
        if (string.IsNullOrWhiteSpace(options.Identity.EndorsementFile))
            errors.Add("Dock:Identity:EndorsementFile must name a file.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string key, long value, long min, long max)
    {
        if (value < min || value > max) errors.Add($"{key} is {value}; it must be {min}..{max}.");
    }

    private static void Positive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1)) errors.Add($"{key} is {value}; it must be above zero and at most a day.");
    }
}
