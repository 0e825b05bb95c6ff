using System.Security.Cryptography;
using System.Text;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;

namespace Dock.Simulator.Recorders;

/// <summary>
/// A recorder's firmware store as docklink-v1.md §5.17 describes it: two slots (A and B), the running one and the other; a staging area that
/// holds an announced image as its bytes arrive (durably: a power loss keeps them); an install that verifies the whole image before it writes
/// the other slot; a boot into the new slot on trial, kept only when the dock confirms it in the session that follows, and a boot loader that
/// goes back to the old slot when the new image does not boot or was not confirmed. Faults come from <see cref="RecorderFaults"/>.
/// </summary>
public sealed class SimulatedFirmware
{
    private readonly Lock _lock = new();
    private readonly string _model;
    private readonly long _slotBytes;
    private readonly Func<IReadOnlyList<ReadOnlyMemory<byte>>> _agencies;
    private readonly RecorderFaults _faults;
    private readonly (string Version, byte[] Sha256)[] _slots = new (string, byte[])[2];
    private byte _active;
    private bool _trial;
    private int _trialLinks;
    private FirmwareBegin? _staged;
    private byte[]? _stagedBytes;
    private long _held;
    private bool _bootPending;
    private FirmwareFailure _lastFailure;
    private string _failedVersion = "";
    private long _received;

    public SimulatedFirmware(string model, string factoryVersion, long slotBytes, Func<IReadOnlyList<ReadOnlyMemory<byte>>> agencies, RecorderFaults faults)
    {
        _model = model;
        _slotBytes = slotBytes;
        _agencies = agencies;
        _faults = faults;
        // The factory image: its "hash" is that of its version string (the simulator keeps no image bytes in a slot, only what identifies them).
        _slots[0] = (factoryVersion, SHA256.HashData(Encoding.UTF8.GetBytes("factory " + factoryVersion)));
        _slots[1] = ("", new byte[32]);
    }

    /// <summary>The version the camera runs now (INFO's firmware field).</summary>
    public string RunningVersion
    {
        get { lock (_lock) return _slots[_active].Version; }
    }

    /// <summary>Image bytes received over every link, repeats included (for the bytes-re-sent figure).</summary>
    public long BytesReceived => Interlocked.Read(ref _received);

    /// <summary>Installs that completed (each one a reboot into a trial image).</summary>
    public int Installs { get; private set; }

    public FirmwareState State()
    {
        lock (_lock)
            return new FirmwareState(_slots[_active].Version, [.. _slots[_active].Sha256], _active, _trial,
                _staged is { } s ? [.. s.Sha256] : new byte[32], _staged?.Size ?? 0, (ulong)_held, _lastFailure, _failedVersion);
    }

    public FirmwareReady Begin(FirmwareBegin begin, uint maxChunk)
    {
        if (begin.Model != _model)
            throw DockLinkErrors.Refuse(ErrorCode.BadImage, $"the image is for a {begin.Model}; this is a {_model}");
        if (!FirmwareSignature.Verify(_agencies(), begin))
            throw DockLinkErrors.Refuse(ErrorCode.BadImage, "the image is not signed by an agency this recorder trusts");
        if ((long)begin.Size > _slotBytes)
            throw DockLinkErrors.Refuse(ErrorCode.TooLarge, $"the image is {begin.Size} bytes; a slot holds {_slotBytes}");
        lock (_lock)
        {
            if (_trial) throw DockLinkErrors.Refuse(ErrorCode.BadState, "a trial image runs: confirm it (or let it fall back) before sending another");
            // The same image again: keep what is held and say where to go on. Another one: the staging area starts over.
            if (_staged is not { } same || !same.Sha256.AsSpan().SequenceEqual(begin.Sha256) || same.Size != begin.Size)
            {
                _staged = begin;
                _stagedBytes = new byte[begin.Size];
                _held = 0;
            }
            return new FirmwareReady((ulong)_held, maxChunk);
        }
    }

    public ulong Write(ulong offset, ReadOnlySpan<byte> data)
    {
        Interlocked.Add(ref _received, data.Length);
        lock (_lock)
        {
            if (_staged is not { } staged || _stagedBytes is null) throw DockLinkErrors.Refuse(ErrorCode.BadState, "no image announced (FW_BEGIN first)");
            if ((long)offset > _held) throw DockLinkErrors.Refuse(ErrorCode.BadRange, $"offset {offset} is past the {_held} bytes held");
            if (offset + (ulong)data.Length > staged.Size) throw DockLinkErrors.Refuse(ErrorCode.BadRange, $"the write ends past the image's {staged.Size} bytes");
            int keep = data.Length;
            long? cut = _faults.TakeFirmwarePowerLoss(data.Length);
            if (cut is { } c) keep = (int)c;
            data[..keep].CopyTo(_stagedBytes.AsSpan((int)offset));
            _held = Math.Max(_held, (long)offset + keep);
            if (cut is not null)
                throw DockLinkErrors.ConnectionLost($"power lost after {_held} bytes of the image were written to flash");
            return (ulong)_held;
        }
    }

    public byte Install(ReadOnlySpan<byte> sha256)
    {
        lock (_lock)
        {
            if (_staged is not { } staged || _stagedBytes is null || !staged.Sha256.AsSpan().SequenceEqual(sha256))
                throw DockLinkErrors.Refuse(ErrorCode.BadState, "no staged image with that SHA-256");
            if (_held != (long)staged.Size) throw DockLinkErrors.Refuse(ErrorCode.BadState, $"{_held} of the image's {staged.Size} bytes are held");
            if (_faults.TakeCorruptStagedFirmware()) _stagedBytes[_stagedBytes.Length / 2] ^= 0x10; // a flash cell that did not keep its bit
            if (!SHA256.HashData(_stagedBytes).AsSpan().SequenceEqual(staged.Sha256) || !FirmwareSignature.Verify(_agencies(), staged))
            {
                Discard();
                throw DockLinkErrors.Refuse(ErrorCode.BadImage, "the staged image does not hash to its SHA-256; it is discarded, nothing installed");
            }
            if (_faults.TakeFirmwarePowerLossInInstall())
            {
                // The other slot was half written when power went: the boot flag was never flipped, so the old image boots; the staged one is kept.
                _lastFailure = FirmwareFailure.InstallInterrupted;
                _failedVersion = staged.Version;
                throw DockLinkErrors.ConnectionLost("power lost while the image was written to its slot");
            }
            byte other = (byte)(1 - _active);
            _slots[other] = (staged.Version, [.. staged.Sha256]);
            _bootPending = true;
            Installs++;
            return other;
        }
    }

    public byte Confirm(ReadOnlySpan<byte> sha256)
    {
        lock (_lock)
        {
            if (!_trial || !_slots[_active].Sha256.AsSpan().SequenceEqual(sha256))
                throw DockLinkErrors.Refuse(ErrorCode.BadState, "no trial image with that SHA-256 runs");
            _trial = false;
            _lastFailure = FirmwareFailure.None;
            _failedVersion = "";
            return _active;
        }
    }

    /// <summary>A link opened or closed. Closing the link after an install is the reboot; closing the session that followed the reboot
    /// without a confirmation sends the camera back to its old slot at its next boot (the simulator boots it then).</summary>
    public void OnLinkChanged(bool connected)
    {
        lock (_lock)
        {
            if (connected)
            {
                if (_trial) _trialLinks++;
                return;
            }
            if (_bootPending)
            {
                _bootPending = false;
                byte other = (byte)(1 - _active);
                var booting = _slots[other];
                Discard();
                if (_faults.FailBootOf == booting.Version)
                {
                    _lastFailure = FirmwareFailure.BootFailed;
                    _failedVersion = booting.Version;
                    return; // The boot loader saw the new slot fail and went back to the old one.
                }
                _active = other;
                _trial = true;
                _trialLinks = 0;
                return;
            }
            if (_trial && _trialLinks > 0)
            {
                _lastFailure = FirmwareFailure.Unconfirmed;
                _failedVersion = _slots[_active].Version;
                _active = (byte)(1 - _active);
                _trial = false;
            }
        }
    }

    private void Discard()
    {
        _staged = null;
        _stagedBytes = null;
        _held = 0;
    }
}
