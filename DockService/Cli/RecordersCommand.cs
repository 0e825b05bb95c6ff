using System.CommandLine;
using System.Text.Json;
using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Transport;
using Dock.Service.Bays;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Enrolment;
using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Recorders;

namespace Dock.Service.Cli;

/// <summary>
/// <c>dock recorders enroll|list|revoke|assign</c>: the enrolment list of recorders this dock trusts, and officer assignment.
/// Every change is a custody event. The dock service may be running meanwhile.
/// </summary>
public static class RecordersCommand
{
    public static Command Create()
    {
        var recorders = new Command("recorders", "The recorders this dock trusts (enrolment: keys, or keyless mass-storage serials), revocation, and officer assignment.");

        var data = CliOptions.Data();
        var file = new Option<string?>("--file") { Description = "An enrolment list: one 'SERIAL PUBLIC-KEY-HEX' per line (dock-sim writes one)." };
        var from = new Option<string?>("--from") { Description = "Enrol the recorder docked at this endpoint (tcp://HOST:PORT or serial:///dev/ttyX): it proves its key in the handshake." };
        var replace = new Option<bool>("--replace") { Description = "The recorder was re-keyed: revoke its enrolled key and enrol the new one." };
        var serialOption = new Option<string?>("--serial") { Description = "With --keyless: the serial of a mass-storage recorder to trust." };
        var keyless = new Option<bool>("--keyless")
        {
            Description = "Enrol a mass-storage recorder, which has no key: its serial is trusted as it claims it (recorder-command-channel-v1.md §6).",
        };
        var enroll = new Command("enroll", "Add recorder keys to the enrolment list, from a file or from a docked recorder, or a keyless mass-storage recorder.")
        {
            data, file, from, replace, serialOption, keyless,
        };
        enroll.SetAction(async (parse, cancellationToken) =>
        {
            int sources = (parse.GetValue(file) is null ? 0 : 1) + (parse.GetValue(from) is null ? 0 : 1) + (parse.GetValue(keyless) ? 1 : 0);
            if (sources != 1)
                return ExitCodes.UsageError("recorders", "give exactly one of --file FILE, --from ENDPOINT or --serial SERIAL --keyless.");
            if (parse.GetValue(keyless) != (parse.GetValue(serialOption) is not null))
                return ExitCodes.UsageError("recorders", "--serial and --keyless go together: --serial SERIAL --keyless.");
            if (parse.GetValue(serialOption) is { } s && !Dock.DeviceProtocol.Messages.Identifier.IsValid(s))
                return ExitCodes.UsageError("recorders", $"--serial '{s}' is not valid: {Dock.DeviceProtocol.Messages.Identifier.Rule}.");
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data), cancellationToken, createCatalog: true);
                var enrolment = new RecorderEnrolment(folder.Catalog.Recorders, folder.Log);
                IReadOnlyList<(string Serial, byte[] Key)> entries;
                string source;
                if (parse.GetValue(file) is { } path)
                {
                    entries = EnrolmentFile.Read(path);
                    source = $"file {Path.GetFileName(path)}";
                }
                else if (parse.GetValue(serialOption) is { } keylessSerial)
                {
                    entries = [(keylessSerial, [])];
                    source = "a person (keyless)";
                }
                else
                {
                    entries = [await ReadDockedAsync(folder, parse.GetValue(from)!, cancellationToken)];
                    source = $"docked at {parse.GetValue(from)}";
                }
                int added = 0;
                foreach (var (serial, key) in entries)
                {
                    bool isNew = await enrolment.EnrolAsync(serial, key, source, DataFolder.Actor, parse.GetValue(replace), cancellationToken);
                    Console.WriteLine($"{serial}  {(key.Length == 0 ? RecorderKeyRecord.Keyless : Ed25519Key.Fingerprint(key))}  {(isNew ? "enrolled" : "already enrolled")}");
                    if (isNew) added++;
                }
                if (added > 0) await folder.Log.CheckpointAsync(cancellationToken);
                Console.WriteLine($"{added} key(s) enrolled, {entries.Count - added} already enrolled.");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is EnrolmentException or IdentityException or StorageException or InvalidDataException or DockLinkException)
            {
                return ExitCodes.UsageError("recorders", ex.Message);
            }
        });

        var data2 = CliOptions.Data();
        var json = CliOptions.Json();
        var list = new Command("list", "Every key ever enrolled, with its state.") { data2, json };
        list.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data2), cancellationToken);
                var keys = await folder.Catalog.Recorders.ListRecorderKeysAsync(cancellationToken);
                if (parse.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(keys.Select(k => new
                    {
                        k.Serial, PublicKey = Convert.ToHexStringLower(k.PublicKey), k.Fingerprint, k.EnrolledAt, k.Source, k.RevokedAt, k.RevokeReason,
                    }), StatusCommand.Json));
                    return ExitCodes.Ok;
                }
                if (keys.Count == 0) Console.WriteLine("No recorder is enrolled. Use `dock recorders enroll --file F` or `--from ENDPOINT`.");
                foreach (var k in keys)
                    Console.WriteLine($"{k.Serial,-16} {k.Fingerprint}  enrolled {k.EnrolledAt:u} ({k.Source})" +
                        (k.RevokedAt is { } at ? $"  REVOKED {at:u}: {k.RevokeReason}" : "  active"));
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is IdentityException or StorageException or InvalidDataException)
            {
                return ExitCodes.UsageError("recorders", ex.Message);
            }
        });

        var data3 = CliOptions.Data();
        var serialArgument = new Argument<string>("serial") { Description = "The recorder's serial number." };
        var reason = CliOptions.Reason("Why (recorded in the custody log): lost, stolen, decommissioned…");
        var revoke = new Command("revoke", "Revoke a recorder's key: its footage is then held in quarantine and it is never told to delete anything.")
        {
            data3, serialArgument, reason,
        };
        revoke.SetAction(async (parse, cancellationToken) =>
        {
            var why = parse.GetValue(reason)!;
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data3), cancellationToken);
                var enrolment = new RecorderEnrolment(folder.Catalog.Recorders, folder.Log);
                var serial = parse.GetValue(serialArgument)!;
                if (!await enrolment.RevokeAsync(serial, why, DataFolder.Actor, cancellationToken))
                    return ExitCodes.UsageError("recorders", $"recorder {serial} has no enrolled key to revoke (see `dock recorders list`).");
                await folder.Log.CheckpointAsync(cancellationToken);
                Console.WriteLine($"Revoked the key of {serial}: {why}");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is IdentityException or StorageException or InvalidDataException)
            {
                return ExitCodes.UsageError("recorders", ex.Message);
            }
        });

        recorders.Subcommands.Add(enroll);
        recorders.Subcommands.Add(list);
        recorders.Subcommands.Add(revoke);
        recorders.Subcommands.Add(AssignCommand());
        foreach (var roster in RegistryCommands.RecorderRoster()) recorders.Subcommands.Add(roster);
        return recorders;
    }

    /// <summary><c>dock recorders assign</c>: writes the officer a mass-storage recorder is issued to (GA/T 947.4-style
    /// WRITE_OFFICER), reads it back, and records it in custody: the officer id then tags that recorder's footage.</summary>
    private static Command AssignCommand()
    {
        var data = CliOptions.Data();
        var from = new Option<string>("--from") { Description = "The recorder's command channel: serial:///dev/ttyACM0 (or tcp://HOST:PORT).", Required = true };
        var officer = new Option<string>("--officer") { Description = "Police number (警号): the officer id its footage is tagged with.", Required = true };
        var name = new Option<string>("--name") { Description = "The officer's name.", DefaultValueFactory = _ => "" };
        var unitId = new Option<string>("--unit-id") { Description = "Unit code.", DefaultValueFactory = _ => "" };
        var unitName = new Option<string>("--unit-name") { Description = "Unit name.", DefaultValueFactory = _ => "" };
        var password = new Option<string>("--password")
        {
            Description = "The recorders' command-channel password (checked by the camera only).", DefaultValueFactory = _ => new MassStorageOptions().Password,
        };
        var reason = CliOptions.Reason("Why (recorded in the custody log): issued to a new officer, unit change…");
        var assign = new Command("assign", "Write the officer a mass-storage recorder is issued to (over its command channel), and record it.")
        {
            data, from, officer, name, unitId, unitName, password, reason,
        };
        assign.SetAction(async (parse, cancellationToken) =>
        {
            var written = new Dock.DeviceProtocol.CommandChannel.OfficerInfo(parse.GetValue(officer)!, parse.GetValue(name)!, parse.GetValue(unitId)!,
                parse.GetValue(unitName)!);
            if (!Dock.DeviceProtocol.Messages.Identifier.IsValid(written.OfficerId) || written.OfficerId.Length > Dock.DeviceProtocol.CommandChannel.OfficerInfo.MaxId)
                return ExitCodes.UsageError("recorders", $"--officer '{written.OfficerId}' must be 1-16 of A-Z a-z 0-9 . _ -.");
            try
            {
                written.Encode(); // Field limits (UTF-8 bytes) before anything is sent.
            }
            catch (ArgumentException ex)
            {
                return ExitCodes.UsageError("recorders", ex.Message);
            }
            if (!BayEndpoint.TryParse(parse.GetValue(from), out var endpoint, out var error))
                return ExitCodes.UsageError("recorders", $"--from {error}");
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data), cancellationToken, createCatalog: true);
                var (serial, before) = await OfficerAssignment.AssignAsync(folder.Log, endpoint, parse.GetValue(password)!, written, parse.GetValue(reason)!,
                    DataFolder.Actor, cancellationToken);
                Console.WriteLine($"{serial}: officer {written.OfficerId} written and read back (was {before ?? "unassigned"}); recorded in custody.");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is EnrolmentException or IdentityException or StorageException or InvalidDataException or DockLinkException)
            {
                return ExitCodes.UsageError("recorders", ex.Message);
            }
        });
        return assign;
    }

    /// <summary>Handshakes with the recorder at <paramref name="endpointText"/> (as a bay would) and returns
    /// the key it proved. Trust on first use, by the person running the command.</summary>
    private static async Task<(string Serial, byte[] Key)> ReadDockedAsync(DataFolder folder, string endpointText, CancellationToken cancellationToken)
    {
        if (!BayEndpoint.TryParse(endpointText, out var endpoint, out var error))
            throw new EnrolmentException($"--from {endpointText}: {error}");
        using var identity = DockIdentity.Load(folder.Paths, folder.DockId);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        IDockLinkTransport transport;
        try
        {
            transport = await BayConnector.ConnectAsync(endpoint, timeout.Token);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException or OperationCanceledException)
        {
            throw new EnrolmentException($"No recorder answers at {endpoint}: {ex.Message}");
        }
        await using var session = await HostSession.OpenAsync(transport, identity, cancellationToken: timeout.Token);
        var result = (session.Device.Serial, session.DeviceKey);
        await session.ByeAsync(timeout.Token);
        return result;
    }

}
