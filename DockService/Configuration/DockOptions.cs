namespace Dock.Service.Configuration;

/// <summary>When a recorder may delete a clip (R1, R11: nothing is lost).</summary>
public enum ReleasePolicy
{
    /// <summary>Never tell recorders to delete (footage stays on the camera too).</summary>
    Never,
    /// <summary>Once the vault copy has been re-read and its SHA-256 matches the recorder's.</summary>
    AfterLocalVerify,
    /// <summary>Once the cloud target holds a copy whose SHA-256 the dock has checked (the default).</summary>
    AfterCloudVerify,
}

/// <summary>The "Dock" configuration section. Bound from appsettings.json, DOCK_ environment
/// variables and the command line; validated at start (<see cref="DockOptionsValidator"/>).</summary>
public sealed class DockOptions
{
    public const string Section = "Dock";

    /// <summary>Holds the catalog (catalog.db), the vault and the keys.</summary>
    public string DataDirectory { get; set; } = "dock-data";

    /// <summary>This dock's id in custody records and in DockLink AUTH. Default: derived from its key.</summary>
    public string? DockId { get; set; }

    public List<BayOptions> Bays { get; set; } = [];

    /// <summary>Clips pulled at once across all bays (each pull holds window × chunk bytes of memory).</summary>
    public int MaxConcurrentPulls { get; set; } = 4;

    public ReleasePolicy ReleasePolicy { get; set; } = ReleasePolicy.AfterCloudVerify;

    public CloudOptions Cloud { get; set; } = new();

    /// <summary>The HTTP API (Api/) in the `dock run` process.</summary>
    public HttpOptions Http { get; set; } = new();

    /// <summary>The web console and the kiosk (Dock:Web).</summary>
    public WebOptions Web { get; set; } = new();

    /// <summary>Evidence tags: the categories and their retention, the dock's place, the missing-tag alert (Metadata/).</summary>
    public MetadataOptions Metadata { get; set; } = new();

    /// <summary>How long the vault keeps clips once their cloud copy is verified, and when it frees space (Retention/).</summary>
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>Checkout and check-in, the equipment-ratio policy per unit, battery health (Equipment/).</summary>
    public EquipmentOptions Equipment { get; set; } = new();

    public BoardOptions Board { get; set; } = new();

    /// <summary>Who may retrieve clips of each sensitivity (R6), and the supervised retrieval rules (R5) (Retrieval/).</summary>
    public RetrievalOptions Retrieval { get; set; } = new();

    /// <summary>Encryption at rest of the vault's clips (Vault/Encryption).</summary>
    public VaultOptions Vault { get; set; } = new();

    /// <summary>Case file exports (Exports/CaseExports): the browser that prints the report to PDF.</summary>
    public ExportOptions Export { get; set; } = new();

    /// <summary>Fleet configuration (Fleet/): where signed bundles are fetched and this dock's status is written, how often, and which keys
    /// may sign them.</summary>
    public FleetSyncOptions Fleet { get; set; } = new();

    /// <summary>Where USB port paths are looked up (Linux sysfs); tests point it at a fake tree.</summary>
    public string SysfsRoot { get; set; } = "/sys";

    /// <summary>Where the device nodes of discovered ttys live.</summary>
    public string DeviceRoot { get; set; } = "/dev";

    /// <summary>Where the kernel's routing and neighbour tables are read (network-card recorders); tests point it at a fake.</summary>
    public string ProcRoot { get; set; } = "/proc";

    /// <summary>A recorder whose key is not enrolled: pull its footage into quarantine (true, the default:
    /// nothing is left at risk on an unknown camera) or leave it on the recorder. Either way it is
    /// alerted and never told to delete anything.</summary>
    public bool QuarantineUnenrolled { get; set; } = true;

    /// <summary>A signed custody checkpoint at least this often while the log grows (besides one per verified clip).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often an empty bay is probed for a recorder.</summary>
    public TimeSpan ReconnectInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a docked recorder's battery is sampled after its clips are in.</summary>
    public TimeSpan BatteryPollInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A docked recorder whose battery health (capacity left, %) is under this, or whose battery reports a
    /// charge fault, puts its bay in "attention" once its footage is safe: the equipment manager should replace it.</summary>
    public int BatteryHealthAttentionPercent { get; set; } = 60;

    /// <summary>A camera that docks with less than this share of its storage free raises <c>storage-nearly-full</c> (cameras stop recording
    /// when locked footage fills them); resolved at a docking with more.</summary>
    public int StorageNearlyFullPercent { get; set; } = 10;

    /// <summary>Bytes pulled between durable checkpoints (fsync + catalog update): the most a crash re-pulls.</summary>
    public DataSize CheckpointBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Disk space a pull must leave free in the vault (the catalog and the custody log still need to write).</summary>
    public DataSize VaultReserveBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Whole-clip hash mismatches tolerated before a clip stays quarantined for a person to look at.</summary>
    public int MaxPullAttempts { get; set; } = 3;

    /// <summary>After a clip's pull fails with the link still up, how long before it is tried again (doubling per failure in a row, at
    /// most 30 min); the recorder's other clips are pulled meanwhile, and three failures in a row raise a clip-stuck alert.</summary>
    public TimeSpan ClipRetryAfter { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>An alert when a pull gets no byte for this long (a stuck recorder or link), resolved when bytes flow again.</summary>
    public TimeSpan StalledPullAlertAfter { get; set; } = TimeSpan.FromSeconds(60);

    public LinkOptions Link { get; set; } = new();

    public IdentityOptions Identity { get; set; } = new();

    public MassStorageOptions MassStorage { get; set; } = new();
}

/// <summary>Fleet configuration through the agency's object store (hardware-specs/fleet-bundle-v1.md §5).</summary>
public sealed class FleetSyncOptions
{
    /// <summary>The object store holding PREFIX/fleet/: a cloud target URI (file:, s3://, azblob://). Empty: the dock's Cloud:Target.
    /// <c>none</c>: this dock takes bundles only from `dock fleet apply` (an air-gapped site).</summary>
    public string Source { get; set; } = "";

    /// <summary>How often the dock looks for a new bundle (a conditional GET: an idle dock costs one small 304 per look), and at start.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The dock rewrites its signed status object when something in it changes, and at least this often (the fleet view calls a
    /// dock silent after three of these without one).</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The site (a station) this dock belongs to: site settings of a bundle and site cohorts of a rollout apply by it.</summary>
    public string? Site { get; set; }

    /// <summary>Configuration keys (Ed25519 public keys, PEM files; relative paths under DataDirectory) trusted besides the agency key that
    /// endorsed this dock.</summary>
    public List<string> TrustedKeys { get; set; } = [];

    /// <summary>Whether the agency key that endorsed this dock (keys/dock.endorsement.json) may sign bundles (true: one key for both, told
    /// apart by the bundle's purpose line; false: only <see cref="TrustedKeys"/>).</summary>
    public bool TrustEndorsingAgency { get; set; } = true;
}

/// <summary>What a bay's recorder speaks.</summary>
public enum RecorderDriver
{
    /// <summary>DockLink (hardware-specs/docklink-v1.md) over TCP, serial or USB.</summary>
    DockLink,
    /// <summary>A USB disk plus a GA/T 947.4-style command channel (hardware-specs/recorder-command-channel-v1.md).</summary>
    MassStorage,
}

/// <summary>Mass-storage recorders (recorder-command-channel-v1.md §5–7).</summary>
public sealed class MassStorageOptions
{
    /// <summary>Unlocks the camera's command set. Checked by the camera, so it proves nothing to the dock (§6).</summary>
    public string Password { get; set; } = "000000";

    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long after MASS_STORAGE the disk may take to appear (and be mounted).</summary>
    public TimeSpan VolumeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Folders (from the disk's root) holding clips.</summary>
    public List<string> Folders { get; set; } = ["DCIM", "VIDEO", "AUDIO", "PHOTO", "RECORD"];

    /// <summary>File extensions that are clips.</summary>
    public List<string> Extensions { get; set; } = ["mp4", "mov", "avi", "mkv", "ts", "wav", "mp3", "aac", "amr", "jpg", "jpeg", "png"];

    /// <summary>A file name containing one of these marks an important clip.</summary>
    public List<string> ImportantMarkers { get; set; } = ["IMP", "_I_"];

    /// <summary>Clips under these folders are R11 mandatory full-process recordings.</summary>
    public List<string> MandatoryFolders { get; set; } = [];

    /// <summary>The recorders' clock zone for times in file names (IANA or Windows id); empty: the dock's.</summary>
    public string TimeZone { get; set; } = "";

    public int MaxDepth { get; set; } = 4;

    /// <summary>Files considered per docking; more are left for the next docking.</summary>
    public int MaxClips { get; set; } = 10_000;

    /// <summary>Where mounted filesystems are listed (Linux); tests point it at a fake.</summary>
    public string MountsFile { get; set; } = "/proc/self/mounts";
}

/// <summary>One bay: where its recorder is reached. USB discovery comes later; for now an endpoint.</summary>
public sealed class BayOptions
{
    public string Id { get; set; } = "";

    /// <summary><c>tcp://host:port</c> or <c>serial:///dev/ttyACM0</c> (optionally <c>?baud=115200</c>).</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>Instead of a fixed endpoint: the physical USB port path (e.g. "1-1.3", from `dock bays learn`).
    /// The recorder found there is reached over the tty it presents (DockLink, or a mass-storage recorder's
    /// command channel; its disk is the block device on the same port).</summary>
    public string? UsbPort { get; set; }

    /// <summary>DockLink (default) or MassStorage: then Endpoint (or the port's tty) is the command channel.</summary>
    public RecorderDriver Driver { get; set; } = RecorderDriver.DockLink;

    /// <summary>A mass-storage recorder's disk at a fixed mount point (with a fixed Endpoint); with UsbPort it is found.</summary>
    public string? Volume { get; set; }
}

/// <summary>DockLink tuning (docklink-v1.md §9, §10).</summary>
public sealed class LinkOptions
{
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a TCP connect to a bay may take (a recorder on a USB network card answers in milliseconds).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest READ_CLIP; reads are sized to the measured link rate below this (docklink-v1.md §10.1).</summary>
    public DataSize ReadChunkSize { get; set; } = 256 * 1024;

    /// <summary>The TCP port DockLink recorders listen on behind a USB network card (docklink-v1.md §1).</summary>
    public int TcpPort { get; set; } = 7001;

    /// <summary>The most READ_CLIPs in flight; the window is sized to the measured link rate below this.</summary>
    public int ReadWindow { get; set; } = 8;

    /// <summary>The most clips taken from one recorder's listing; more wait for a later docking, with an alert (docklink-v1.md §5.7).</summary>
    public int MaxListedClips { get; set; } = 10_000;

    /// <summary>How long listing one recorder's clips (every page) may take.</summary>
    public TimeSpan ListingDeadline { get; set; } = TimeSpan.FromSeconds(60);
}

public sealed class IdentityOptions
{
    /// <summary>The dock's Ed25519 key (PKCS#8 PEM), created on first start. Relative paths are under DataDirectory.</summary>
    public string KeyFile { get; set; } = "keys/dock.key";

    /// <summary>The agency's endorsement of this dock's key (written by <c>dock keys endorse</c>).</summary>
    public string EndorsementFile { get; set; } = "keys/dock.endorsement.json";

    /// <summary>A file holding the passphrase that seals the dock key (e.g. a systemd credential). Without it,
    /// DOCK_KEY_PASSPHRASE_FILE or DOCK_KEY_PASSPHRASE; without those the key is stored unsealed (0600).</summary>
    public string? PassphraseFile { get; set; }

    /// <summary>How often the running dock re-reads its endorsement (a renewal takes effect without a restart) and checks its
    /// expiry: an <c>endorsement-expiring</c> alert from <see cref="EndorsementWarning"/> before, <c>endorsement-expired</c> after.</summary>
    public TimeSpan EndorsementCheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long before its expiry the dock starts warning that its endorsement needs renewing.</summary>
    public TimeSpan EndorsementWarning { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>Where verified clips are forwarded (Upload/), and how.</summary>
public sealed class CloudOptions
{
    /// <summary><c>file:DIR</c> (relative to DataDirectory), <c>s3://BUCKET/PREFIX</c> or <c>azblob://CONTAINER/PREFIX</c>.
    /// Credentials never go here: S3 uses AWS_* variables or the profile chain, Azure AZURE_STORAGE_CONNECTION_STRING.</summary>
    public string Target { get; set; } = "file:cloud";

    /// <summary>Clips uploaded at once.</summary>
    public int MaxConcurrentUploads { get; set; } = 4;

    /// <summary>Total upload bandwidth in MB/s; 0 for no cap.</summary>
    public double MaxMBps { get; set; }

    /// <summary>Local-time windows with no new uploads, e.g. ["07:00-09:00"] when every dock in the building unloads.</summary>
    public List<string> Blackout { get; set; } = [];

    /// <summary>Clips larger than this go up in parts (S3 multipart, Azure blocks), resumable across restarts.</summary>
    public DataSize MultipartThreshold { get; set; } = 16L * 1024 * 1024;

    public DataSize PartSize { get; set; } = 8L * 1024 * 1024;

    /// <summary>An alert (R10) when the oldest clip waiting for the cloud is older than this.</summary>
    public TimeSpan PendingAlertAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Longest wait between retries of a failing upload (backoff with jitter grows up to this).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>An alert (R10) when every call to the store has failed for this long while clips wait.</summary>
    public TimeSpan OutageAlertAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a target a person must fix (credentials, a missing bucket or folder) is checked again; uploads resume as soon as it works.</summary>
    public TimeSpan TargetRecheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}

public enum BoardDriver
{
    /// <summary>No dock board (a PC with USB hubs, a test bench).</summary>
    None,
    /// <summary>In-memory pins: the demo and tests (what the lights would show, with times).</summary>
    Simulated,
    /// <summary>Linux GPIO character device through System.Device.Gpio (libgpiod).</summary>
    Gpio,
}

/// <summary>The dock board: per-bay RGB light and charge switch (hardware-specs/dock-board.md).</summary>
public sealed class BoardOptions
{
    public BoardDriver Driver { get; set; } = BoardDriver.None;

    /// <summary>The GPIO chip number (/dev/gpiochipN) the pins below belong to.</summary>
    public int GpioChip { get; set; }

    /// <summary>True when a pin driven low lights the LED / enables the charger (common-anode LEDs, P-MOSFET switches).</summary>
    public bool ActiveLow { get; set; }

    public List<BayPinOptions> Bays { get; set; } = [];
}

public sealed class BayPinOptions
{
    public string BayId { get; set; } = "";
    public int RedPin { get; set; } = -1;
    public int GreenPin { get; set; } = -1;
    public int BluePin { get; set; } = -1;
    public int ChargePin { get; set; } = -1;
}

/// <summary>Where the HTTP API listens, and where metrics go besides <c>GET /metrics</c>.</summary>
public sealed class HttpOptions
{
    /// <summary>Kestrel's addresses, separated by ';'. Loopback by default: a dock is reached through a reverse proxy or on the
    /// station's own screen. <c>https://…</c> needs a certificate (Kestrel's <c>Kestrel:Certificates:Default</c> settings).</summary>
    public string Urls { get; set; } = "http://127.0.0.1:7080";

    /// <summary>An OTLP collector to push metrics to, none by default: the whole URL, e.g. <c>http://127.0.0.1:4318/v1/metrics</c>
    /// (HTTP) or <c>http://127.0.0.1:4317</c> (gRPC).</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>How metrics reach the OTLP collector.</summary>
    public OtlpProtocol OtlpProtocol { get; set; } = OtlpProtocol.HttpProtobuf;

    /// <summary>How often metrics are pushed to the OTLP collector (1 s to 1 h).</summary>
    public TimeSpan OtlpInterval { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>The web face served by `dock run`.</summary>
public sealed class WebOptions
{
    /// <summary>Who sees the kiosk (/kiosk) without signing in. Loopback: the dock's own screen only (a browser on the dock PC).</summary>
    public KioskAccess KioskAccess { get; set; } = KioskAccess.Loopback;

    /// <summary>With no touch for this long, an officer signed in at the kiosk is signed out and the screen goes back to the bays.</summary>
    public TimeSpan KioskIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

public enum KioskAccess
{
    /// <summary>Without sign-in from the dock itself (127.0.0.1, ::1); elsewhere a signed-in user.</summary>
    Loopback,
    /// <summary>Anyone who reaches the dock's address (a station network kept to itself).</summary>
    Anyone,
    /// <summary>Always a signed-in user.</summary>
    SignedIn,
}

/// <summary>OTLP transports: protobuf over HTTP (the OpenTelemetry default) or gRPC.</summary>
public enum OtlpProtocol
{
    HttpProtobuf,
    Grpc,
}

public sealed class MetadataOptions
{
    /// <summary>Where the dock is (a station, a unit's office): the capture place of footage that carries no GPS position.</summary>
    public string Location { get; set; } = "";

    /// <summary>The categories a clip may be given, each with its retention. Empty: <see cref="DefaultCategories"/>. (A list
    /// configured here replaces the defaults whole; configuration binding would otherwise append to them.)</summary>
    public List<CategoryOptions> Categories { get; set; } = [];

    public IReadOnlyList<CategoryOptions> EffectiveCategories => Categories.Count > 0 ? Categories : DefaultCategories;

    /// <summary>A clip still missing a required tag this long after docking raises a missing-tags alert (R10) for the supervisors, and the
    /// officer is told at their next kiosk sign-in.</summary>
    public TimeSpan MissingTagAlertAfter { get; set; } = TimeSpan.FromHours(12);

    public static readonly IReadOnlyList<CategoryOptions> DefaultCategories =
    [
        new() { Id = "traffic", Name = "Traffic", NameZh = "交通管理", Retention = TimeSpan.FromDays(180) },
        new() { Id = "public-order", Name = "Public order", NameZh = "治安管理", Retention = TimeSpan.FromDays(180) },
        new() { Id = "penalty", Name = "Administrative penalty", NameZh = "行政处罚", Retention = TimeSpan.FromDays(3 * 365) },
        new() { Id = "criminal", Name = "Criminal case", NameZh = "刑事案件", Retention = TimeSpan.FromDays(10 * 365) },
        new() { Id = "complaint", Name = "Complaint", NameZh = "投诉纠纷", Retention = TimeSpan.FromDays(365) },
        new() { Id = "other", Name = "Other", NameZh = "其他", Retention = TimeSpan.FromDays(180) },
    ];
}

public sealed class CategoryOptions
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string NameZh { get; set; } = "";
    /// <summary>How long the dock keeps a clip of this category once it is cloud-verified (a clip in several keeps the longest).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(180);
}

/// <summary>The vault's retention (Retention/VaultPurge). A clip's vault copy is purged only once its cloud copy is verified — checked
/// again in the store just before — and no legal hold covers it: when its category's retention has passed since, or, ahead of that,
/// oldest first, when the vault's disk runs short (after the <c>vault-space-low</c> alert).</summary>
/// <summary>What a camera at checkout below a unit's minimum of ready cameras gets.</summary>
public enum BelowMinimum
{
    /// <summary>The checkout goes ahead; the kiosk and the log say the unit is now below its minimum, and the breach is alerted.</summary>
    Warn,
    /// <summary>The checkout is refused, with that reason.</summary>
    Refuse,
}

public sealed class EquipmentOptions
{
    /// <summary>A camera is handed out only with at least this much charge (%).</summary>
    public int CheckoutMinimumBattery { get; set; } = 80;

    /// <summary>How long a shift is: a checked-out camera is due back this long after checkout (plus <see cref="DockWithin"/>), and a battery
    /// that no longer lasts it is flagged.</summary>
    public TimeSpan ShiftLength { get; set; } = TimeSpan.FromHours(10);

    /// <summary>A camera not docked this long after its shift ends raises <c>camera-not-docked</c>, naming the officer (R10).</summary>
    public TimeSpan DockWithin { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A checkout that would leave its unit below its minimum of ready cameras: warned or refused.</summary>
    public BelowMinimum BelowMinimum { get; set; } = BelowMinimum.Warn;

    /// <summary>The default policy of a unit not listed in <see cref="Units"/>: serviceable recorders per enforcement officer (R4; 1 = one
    /// camera per officer).</summary>
    public double Ratio { get; set; } = 1.0;

    /// <summary>The default minimum of spare recorders a unit keeps (registry status spare).</summary>
    public int MinimumSpare { get; set; }

    /// <summary>The default minimum of cameras ready for checkout a unit keeps in its bays.</summary>
    public int MinimumReady { get; set; }

    /// <summary>Per unit, a policy of its own (<c>Dock:Equipment:Units:0:Unit=XC-01</c>, <c>…:Ratio=1.2</c>); an unset figure takes the default.</summary>
    public List<UnitPolicyOptions> Units { get; set; } = [];

    /// <summary>A checked-out camera still in its bay this long after its checkout was not taken: the checkout is closed and the camera goes
    /// back to the pool (the officer may check out again).</summary>
    public TimeSpan TakeWithin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A checked-out camera back in a bay sooner than this after it left is not a return (a link that dropped, an officer who put it
    /// down and picked it up again): its checkout stands.</summary>
    public TimeSpan ReturnAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Battery health from the charge curves: a charge rate this much below the battery's earliest in the window (0.25: a quarter)
    /// flags it.</summary>
    public double ChargeRateDrop { get; set; } = 0.25;

    /// <summary>A docking at least this long that never reads full counts as a failure to reach full.</summary>
    public TimeSpan FullChargeWithin { get; set; } = TimeSpan.FromHours(5);

    /// <summary>Failures to reach full, among the last five dockings, that flag a battery.</summary>
    public int FailuresToFlag { get; set; } = 2;

    /// <summary>Dockings a battery is judged over (its newest).</summary>
    public int HealthWindow { get; set; } = 12;

    /// <summary>How often the policy and the overdue cameras are looked at besides every checkout, check-in and registry change.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(5);
}

public sealed class UnitPolicyOptions
{
    public string Unit { get; set; } = "";
    public double? Ratio { get; set; }
    public int? MinimumSpare { get; set; }
    public int? MinimumReady { get; set; }
}

public sealed class RetentionOptions
{
    /// <summary>Purge at all (false: the vault keeps everything; the space alerts still come).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The retention of a clip without a category (a clip in several categories keeps the longest of theirs).</summary>
    public TimeSpan Uncategorised { get; set; } = TimeSpan.FromDays(180);

    /// <summary>How often clips whose retention has passed are looked for.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the vault's free space is looked at.</summary>
    public TimeSpan SpaceCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Below this much free space the <c>vault-space-low</c> alert is raised: purges ahead of retention are near.</summary>
    public DataSize AlertWhenFreeBelow { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary>Below this much free space cloud-verified clips are purged ahead of their retention, oldest recording first, until
    /// there is this much again.</summary>
    public DataSize PurgeWhenFreeBelow { get; set; } = 4L * 1024 * 1024 * 1024;
}

public sealed class RetrievalOptions
{
    /// <summary>
    /// The roles that may retrieve a clip of each sensitivity level (comma-separated role names; R6). A level not listed here keeps its
    /// default. A role must also be one the console lets read clips at all (supervisor, auditor, it-admin).
    /// </summary>
    public Dictionary<string, string> Roles { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["none"] = "supervisor,auditor,it-admin",
        ["personal-privacy"] = "supervisor,auditor",
        ["trade-secret"] = "supervisor,auditor",
        ["state-secret"] = "supervisor",
    };

    /// <summary>The purposes a person chooses from when they retrieve a clip (R5); each retrieval also gives a case number or free text.</summary>
    public List<string> Purposes { get; set; } = [];

    public static readonly IReadOnlyList<string> DefaultPurposes = ["case-handling", "supervision", "complaint", "court", "training"];

    public IReadOnlyList<string> EffectivePurposes => Purposes.Count > 0 ? Purposes : DefaultPurposes;

    /// <summary>A viewing session ends this long after the last bytes it was served; its closing `viewed` entry then lists the byte ranges.</summary>
    public TimeSpan ViewIdle { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Unusual retrieval (an alert for supervisors): one person retrieving more than this many clips of units not their own within
    /// <see cref="PatternWindow"/>.</summary>
    public int OtherUnitClips { get; set; } = 10;

    /// <summary>Unusual retrieval: one person retrieving more than this many clips in all within <see cref="PatternWindow"/>.</summary>
    public int ClipsPerWindow { get; set; } = 50;

    public TimeSpan PatternWindow { get; set; } = TimeSpan.FromHours(1);
}

public sealed class ExportOptions
{
    /// <summary>The Chromium (or Chrome) that prints case reports to PDF; empty: Debian's /usr/bin/chromium, or another usual path.</summary>
    public string? Chromium { get; set; }
}

public sealed class VaultOptions
{
    /// <summary>New clips are stored encrypted (AES-256-GCM in 1 MiB chunks, a data key per clip; hardware-specs/vault-encryption-v1.md).
    /// Clips already stored stay as they are; both are read alike.</summary>
    public bool Encryption { get; set; }

    /// <summary>A key-encryption key file (32 random bytes, raw or base64; relative to the data folder), used instead of the one derived
    /// from the dock key for new data keys. Empty: the dock key's. Either opens what it wrapped.</summary>
    public string? KeyFile { get; set; }
}
