using System.Device.Gpio;
using System.Device.Gpio.Drivers;

namespace Dock.Service.Board;

/// <summary>Output lines of the dock board: LEDs and charge switches. The real driver and the simulated one share it.</summary>
public interface IBoardPins : IDisposable
{
    void OpenOutput(int pin);
    void Write(int pin, bool high);
}

/// <summary>The board's GPIO lines through System.Device.Gpio and libgpiod (/dev/gpiochipN).</summary>
public sealed class GpioBoardPins : IBoardPins
{
    private readonly GpioController _controller;

    public GpioBoardPins(int chip)
    {
        try
        {
            _controller = new GpioController(new LibGpiodDriver(chip));
        }
        catch (Exception ex) when (ex is PlatformNotSupportedException or IOException or InvalidOperationException or DllNotFoundException or UnauthorizedAccessException)
        {
            throw new BoardException($"GPIO chip {chip} cannot be opened ({ex.Message}). Is /dev/gpiochip{chip} there, libgpiod installed " +
                "(Debian: libgpiod2), and the dock's user in the 'gpio' group? Or set Dock:Board:Driver=None.", ex);
        }
    }

    public void OpenOutput(int pin)
    {
        try
        {
            _controller.OpenPin(pin, PinMode.Output);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
        {
            throw new BoardException($"GPIO line {pin} cannot be opened as an output ({ex.Message}); check the pin map in Dock:Board:Bays.", ex);
        }
    }

    public void Write(int pin, bool high) => _controller.Write(pin, high ? PinValue.High : PinValue.Low);

    public void Dispose() => _controller.Dispose();
}

/// <summary>
/// Pins in memory, for the demo and tests (no GPIO chip exists there): the current level of each line
/// and every change with its time, so a test can replay what the lights did.
/// </summary>
public sealed class SimulatedBoardPins(TimeProvider time) : IBoardPins
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, bool> _levels = [];
    private readonly List<(DateTimeOffset At, int Pin, bool High)> _changes = [];

    public void OpenOutput(int pin)
    {
        lock (_lock)
            if (!_levels.TryAdd(pin, false)) throw new BoardException($"line {pin} is opened twice");
    }

    public void Write(int pin, bool high)
    {
        lock (_lock)
        {
            if (!_levels.TryGetValue(pin, out var level)) throw new BoardException($"line {pin} was not opened");
            if (level == high) return;
            _levels[pin] = high;
            _changes.Add((time.GetUtcNow(), pin, high));
        }
    }

    public bool Level(int pin)
    {
        lock (_lock) return _levels.GetValueOrDefault(pin);
    }

    public IReadOnlyList<(DateTimeOffset At, int Pin, bool High)> Changes
    {
        get { lock (_lock) return [.. _changes]; }
    }

    public void Dispose() { }
}

/// <summary>The dock board cannot be driven: a missing GPIO chip, a bad pin map.</summary>
public sealed class BoardException(string message, Exception? inner = null) : Exception(message, inner);
