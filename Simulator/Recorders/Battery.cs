using Dock.DeviceProtocol.Messages;

namespace Dock.Simulator.Recorders;

/// <summary>A Li-ion pack that charges while docked, at a rate tapering above 80 % (CC then CV).</summary>
public sealed class Battery(TimeProvider time, double percent, double fullChargeHours, ushort cycleCount, byte healthPercent)
{
    private readonly Lock _lock = new();
    private double _percent = Math.Clamp(percent, 0, 100);
    private long _since = time.GetTimestamp();
    private bool _charging;

    public double Percent
    {
        get { lock (_lock) { Advance(); return _percent; } }
    }

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
            var state = _charging ? (_percent >= 100 ? ChargeState.Full : ChargeState.Charging) : ChargeState.Discharging;
            ushort millivolts = (ushort)(3300 + _percent * 9);
            short temperature = (short)(_charging && _percent < 100 ? 310 : 260);
            return new Power((byte)Math.Floor(_percent), millivolts, state, temperature, cycleCount, healthPercent);
        }
    }

    private void Advance()
    {
        var elapsed = time.GetElapsedTime(_since);
        _since = time.GetTimestamp();
        if (!_charging || _percent >= 100) return;
        double perHour = 100 / fullChargeHours * (_percent < 80 ? 1.0 : 0.5);
        _percent = Math.Min(100, _percent + perHour * elapsed.TotalHours);
    }
}
