namespace Dock.Service.Vault;

/// <summary>
/// Disk space for pulls, counted across every pull in flight. Each pull reserves what it has still to write; a new pull
/// starts only if the disk's free space, less what the pulls already running will still write, keeps the reserve free
/// for the catalog and the custody log (Dock:VaultReserveBytes). Checking each clip alone let several concurrent pulls,
/// each fitting by itself, fill the disk together.
/// </summary>
public sealed class VaultSpace(ClipVault vault, long reserveBytes)
{
    private readonly Lock _lock = new();
    private readonly List<Reservation> _held = [];

    public long ReserveBytes => reserveBytes;

    /// <summary>What the disk has and what running pulls will still take, for messages.</summary>
    public sealed record Budget(long FreeBytes, long HeldBytes, long NeededBytes, long ReserveBytes);

    /// <summary>
    /// Reserves <paramref name="toWrite"/> bytes for a pull whose partial file will first be cut back by
    /// <paramref name="freedOnResume"/> bytes (written but never confirmed durable), or returns null with the budget that refused it.
    /// </summary>
    public Reservation? TryReserve(long toWrite, long freedOnResume, out Budget budget)
    {
        lock (_lock)
        {
            long free = vault.FreeBytes() + freedOnResume;
            long held = _held.Sum(r => r.Remaining);
            budget = new Budget(free, held, toWrite, reserveBytes);
            if (free - held - toWrite < reserveBytes) return null;
            var reservation = new Reservation(this, toWrite);
            _held.Add(reservation);
            return reservation;
        }
    }

    private void Release(Reservation reservation)
    {
        lock (_lock) _held.Remove(reservation);
    }

    /// <summary>Bytes a pull has still to write; each byte written leaves the reservation (it is on the disk, in the free space, now).</summary>
    public sealed class Reservation(VaultSpace space, long bytes) : IDisposable
    {
        private long _remaining = bytes;
        private int _disposed;

        public long Remaining => Math.Max(0, Interlocked.Read(ref _remaining));

        public void Wrote(long count) => Interlocked.Add(ref _remaining, -count);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) space.Release(this);
        }
    }
}
