using Dock.DeviceProtocol.Messages;

namespace Dock.Simulator.Recorders;

/// <summary>
/// How a pack ages, per full-charge-equivalent cycle, and how it fails. The defaults are a healthy Li-ion pack; the simulator's faulty units
/// set a faster fade, a fast-growing internal resistance, or a cell that stalls the charge below full. A camera's own battery-management
/// figure (<c>health</c> in POWER) is what it was set to: many do not learn their pack's fade, which is why the dock judges the curves.
/// </summary>
public sealed record BatteryAgeing
{
    /// <summary>Capacity lost per cycle, as a fraction of new (0.0004: 80 % left after 500 cycles).</summary>
    public double FadePerCycle { get; init; } = 0.0004;

    /// <summary>Internal resistance grown per cycle, as a fraction of new; the charger's constant current falls as 1 / (1 + growth).</summary>
    public double ResistanceGrowthPerCycle { get; init; } = 0.0005;

    /// <summary>A faulty cell: the charge never rises above this percentage (null: it reaches full).</summary>
    public int? StallsAt { get; init; }

    /// <summary>What recording draws from a new pack, in percent per hour (7: a new pack records 14 h).</summary>
    public double DrainPercentPerHour { get; init; } = 7;

    public static readonly BatteryAgeing Healthy = new();
}

/// <summary>
/// A Li-ion pack that charges while docked, at a constant current up to 80 % and tapering above (CC then CV), and drains while out of the
/// bay. It ages: each full-charge-equivalent cycle fades its capacity (so a shift drains more of it) and grows its internal resistance (so it
/// charges more slowly); see <see cref="BatteryAgeing"/>.
/// </summary>
public sealed class Battery
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly double _fullChargeHours;
    private readonly double _initialCycles;
    private readonly byte _reportedHealth;
    private double _percent;
    private double _cycles;
    private long _since;
    private bool _charging;

    public Battery(TimeProvider time, double percent, double fullChargeHours, ushort cycleCount, byte healthPercent, BatteryAgeing? ageing = null)
    {
        _time = time;
        _percent = Math.Clamp(percent, 0, 100);
        _fullChargeHours = fullChargeHours;
        _cycles = _initialCycles = cycleCount;
        _reportedHealth = healthPercent;
        Ageing = ageing ?? BatteryAgeing.Healthy;
        _since = time.GetTimestamp();
    }

    public BatteryAgeing Ageing { get; }

    public double Percent
    {
        get { lock (_lock) { Advance(); return _percent; } }
    }

    /// <summary>Full-charge-equivalent cycles so far.</summary>
    public double Cycles
    {
        get { lock (_lock) { Advance(); return _cycles; } }
    }

    /// <summary>The truth the dock must find from the curves: capacity left, as a fraction of new.</summary>
    public double Capacity
    {
        get { lock (_lock) { Advance(); return CapacityNow; } }
    }

    /// <summary>Hours a full pack records now.</summary>
    public double RuntimeHours => 100 * Capacity / Ageing.DrainPercentPerHour;

    private double CapacityNow => Math.Max(0.2, 1 - Ageing.FadePerCycle * _cycles);

    /// <summary>Constant-current charge rate now, in percentage points per hour.</summary>
    private double RateNow => 100 / _fullChargeHours / (1 + Ageing.ResistanceGrowthPerCycle * _cycles);

    public void SetCharging(bool charging)
    {
        lock (_lock)
        {
            Advance();
            _charging = charging;
        }
    }

    /// <summary>Drains the pack (fault injection: "battery dies").</summary>
    public void Drain(double toPercent)
    {
        lock (_lock)
        {
            Advance();
            _percent = Math.Clamp(toPercent, 0, 100);
        }
    }

    public Power Sample()
    {
        lock (_lock)
        {
            Advance();
            var ceiling = Ageing.StallsAt ?? 100;
            var state = _charging ? (_percent >= ceiling ? (ceiling >= 100 ? ChargeState.Full : ChargeState.Charging) : ChargeState.Charging) : ChargeState.Discharging;
            // Sagging under a grown internal resistance, as a pack does.
            ushort millivolts = (ushort)Math.Clamp(3300 + _percent * 9 - Ageing.ResistanceGrowthPerCycle * _cycles * 150, 2800, 4400);
            short temperature = (short)(_charging && _percent < ceiling ? 310 + (int)(Ageing.ResistanceGrowthPerCycle * _cycles * 40) : 260);
            return new Power((byte)Math.Floor(_percent), millivolts, state, temperature, (ushort)Math.Min(ushort.MaxValue, _cycles), _reportedHealth);
        }
    }

    /// <summary>Moves the pack to now: charging (CC below 80 %, half the rate above) up to its ceiling, or draining while out of the bay.
    /// Every point charged counts 1/100 of a cycle.</summary>
    private void Advance()
    {
        var elapsed = _time.GetElapsedTime(_since);
        _since = _time.GetTimestamp();
        var hours = elapsed.TotalHours;
        if (hours <= 0) return;
        if (!_charging)
        {
            _percent = Math.Max(0, _percent - Ageing.DrainPercentPerHour / CapacityNow * hours);
            return;
        }
        var ceiling = Ageing.StallsAt ?? 100;
        // In two steps across 80 % so that the taper starts where it should even over a long stretch of simulated time.
        while (hours > 0 && _percent < ceiling)
        {
            double rate = RateNow * (_percent < 80 ? 1.0 : 0.5);
            double target = _percent < 80 ? Math.Min(80, ceiling) : ceiling;
            double needed = (target - _percent) / rate;
            double step = Math.Min(hours, needed);
            double gained = rate * step;
            _percent = Math.Min(ceiling, _percent + gained);
            _cycles += gained / 100;
            hours -= step;
        }
    }
}
