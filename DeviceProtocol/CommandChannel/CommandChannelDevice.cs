using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Transport;

namespace Dock.DeviceProtocol.CommandChannel;

/// <summary>What a recorder does for each command (the simulator implements it; firmware authors can read it as the contract).</summary>
public interface ICommandChannelHandler
{
    bool CheckPassword(string password);
    RecorderIdentity Identify();
    OfficerInfo ReadOfficer();
    void WriteOfficer(OfficerInfo officer);
    /// <summary>Sets the clock; returns the device time just before, in Unix milliseconds.</summary>
    long SyncTime(long hostUnixMs, short utcOffsetMinutes);
    BatteryStatus ReadBattery();
    void SwitchToMassStorage();
}

/// <summary>The recorder's side of the channel: answers each request, enforcing login as a camera does (§6).</summary>
public static class CommandChannelDevice
{
    /// <param name="present">False while the recorder is out of the bay (simulation): requests go unanswered, as over a pulled cable.</param>
    public static async Task ServeAsync(IDockLinkTransport transport, ICommandChannelHandler handler, CancellationToken cancellationToken,
        Func<bool>? present = null)
    {
        var reader = new CommandFrameReader(transport);
        bool loggedIn = false;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } request)
        {
            if (request.IsResponse) continue;
            if (present is not null && !present())
            {
                loggedIn = false; // Re-docking starts a new conversation.
                continue;
            }
            CommandStatus status;
            byte[] payload = [];
            try
            {
                (status, payload) = Answer(request, handler, ref loggedIn);
            }
            catch (DockLinkException)
            {
                status = CommandStatus.BadRequest;
            }
            catch (ArgumentException)
            {
                status = CommandStatus.Failed;
            }
            var answer = new CommandFrame((byte)(request.Code | CommandFrame.ResponseBit), request.Sequence, status, payload);
            await transport.WriteAsync(answer.Encode(), cancellationToken).ConfigureAwait(false);
        }
    }

    private static (CommandStatus, byte[]) Answer(CommandFrame request, ICommandChannelHandler handler, ref bool loggedIn)
    {
        if (!Enum.IsDefined(request.Command)) return (CommandStatus.Unsupported, []);
        if (request.Command == CommandCode.Login)
        {
            var r = new CommandPayloadReader(request.Payload, CommandCode.Login);
            var password = r.Str("password", 32);
            r.End();
            loggedIn = handler.CheckPassword(password);
            return (loggedIn ? CommandStatus.Ok : CommandStatus.Denied, []);
        }
        if (!loggedIn) return (CommandStatus.Denied, []);
        switch (request.Command)
        {
            case CommandCode.Identify:
                return (CommandStatus.Ok, handler.Identify().Encode());
            case CommandCode.ReadOfficer:
                return (CommandStatus.Ok, handler.ReadOfficer().Encode());
            case CommandCode.WriteOfficer:
                handler.WriteOfficer(OfficerInfo.Decode(request.Payload, CommandCode.WriteOfficer));
                return (CommandStatus.Ok, []);
            case CommandCode.SyncTime:
                var r = new CommandPayloadReader(request.Payload, CommandCode.SyncTime);
                long host = r.I64("host_time");
                short offset = r.I16("utc_offset_minutes");
                r.End();
                return (CommandStatus.Ok, new CommandPayloadWriter().I64(handler.SyncTime(host, offset)).ToArray());
            case CommandCode.ReadBattery:
                return (CommandStatus.Ok, handler.ReadBattery().Encode());
            case CommandCode.MassStorage:
                handler.SwitchToMassStorage();
                return (CommandStatus.Ok, []);
            default:
                return (CommandStatus.Unsupported, []);
        }
    }
}
