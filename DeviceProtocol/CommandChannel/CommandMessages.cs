using Dock.DeviceProtocol.Messages;

namespace Dock.DeviceProtocol.CommandChannel;

/// <summary>IDENTIFY's answer (§4.2). <see cref="Serial"/> is the recorder's unchangeable device id, as it claims it:
/// nothing on this channel proves it (§6).</summary>
public sealed record RecorderIdentity(string Serial, string IdCode, string Model, string Firmware)
{
    public const int MaxIdCode = 8;
    public const int MaxText = 32;

    public byte[] Encode() => new CommandPayloadWriter().Str(Serial, Identifier.MaxLength).Str(IdCode, MaxIdCode).Str(Model, MaxText)
        .Str(Firmware, MaxText).ToArray();

    public static RecorderIdentity Decode(ReadOnlySpan<byte> payload)
    {
        var r = new CommandPayloadReader(payload, CommandCode.Identify);
        var identity = new RecorderIdentity(r.Str("serial", Identifier.MaxLength), r.Str("id_code", MaxIdCode), r.Str("model", MaxText),
            r.Str("firmware", MaxText));
        r.End();
        if (!Identifier.IsValid(identity.Serial))
            throw CommandChannelErrors.Malformed(CommandCode.Identify, $"serial '{identity.Serial}' is not {Identifier.Rule}");
        return identity;
    }
}

/// <summary>The officer the recorder is issued to (§4.3), as GA/T 947-style recorders keep it: police number,
/// name, unit code, unit name. Written by the dock from the equipment register; read back to tag footage.</summary>
public sealed record OfficerInfo(string OfficerId, string Name, string UnitId, string UnitName)
{
    public const int MaxId = 16;
    public const int MaxName = 64;
    public const int MaxUnitName = 96;

    public byte[] Encode() => new CommandPayloadWriter().Str(OfficerId, MaxId).Str(Name, MaxName).Str(UnitId, MaxId).Str(UnitName, MaxUnitName).ToArray();

    public static OfficerInfo Decode(ReadOnlySpan<byte> payload, CommandCode command)
    {
        var r = new CommandPayloadReader(payload, command);
        var officer = new OfficerInfo(r.Str("officer_id", MaxId), r.Str("name", MaxName), r.Str("unit_id", MaxId), r.Str("unit_name", MaxUnitName));
        r.End();
        if (officer.OfficerId.Length > 0 && !Identifier.IsValid(officer.OfficerId))
            throw CommandChannelErrors.Malformed(command, $"officer_id '{officer.OfficerId}' is not {Identifier.Rule}");
        return officer;
    }
}

/// <summary>READ_BATTERY's answer (§4.6).</summary>
public sealed record BatteryStatus(byte Percent, ushort Millivolts, ChargeState State, short TemperatureDeciC, ushort CycleCount, byte HealthPercent)
{
    public byte[] Encode() => new CommandPayloadWriter().U8(Percent).U16(Millivolts).U8((byte)State).I16(TemperatureDeciC).U16(CycleCount)
        .U8(HealthPercent).ToArray();

    public static BatteryStatus Decode(ReadOnlySpan<byte> payload)
    {
        var r = new CommandPayloadReader(payload, CommandCode.ReadBattery);
        var battery = new BatteryStatus(r.U8("percent"), r.U16("millivolts"), (ChargeState)r.U8("state"), r.I16("temperature"), r.U16("cycles"),
            r.U8("health"));
        r.End();
        if (battery.Percent > 100 || battery.HealthPercent > 100 || !Enum.IsDefined(battery.State))
            throw CommandChannelErrors.Malformed(CommandCode.ReadBattery, "percent, health or charge state out of range");
        return battery;
    }
}
