using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Transport;
using Dock.Service.Bays;
using Dock.Service.Cli;
using Dock.Service.Configuration;
using Dock.Service.Identity;
using Dock.Simulator.Hosting;
using Dock.Simulator.Links;
using Dock.Simulator.Recorders;

namespace Dock.Tools.Bench;

/// <summary>
/// `dock bench firmware`: a firmware image pushed to a recorder (FW_BEGIN, FW_WRITEs in a window) against a clip of the same size read from it
/// (READ_CLIPs in a window), with the dock's default link settings, over the same link in the same run, rounds alternating: a real pty pair
/// (the serial path, both directions at the pty's own rate), and loopback TCP throttled to the same rate both ways (USB 2.0, 40 MB/s; and a
/// 1 MB/s line). The figure is the firmware rate as a ratio of the clip-read rate on each link. Then the bytes sent again after a power loss in
/// mid-transfer (the camera resumes from what it holds).
/// </summary>
public sealed class FirmwareBenchmark(string dataDirectory, long bytes, int rounds, TextWriter output)
{
    public sealed record LinkResult(string Link, double ReadMBps, double FirmwareMBps, double Ratio);

    public async Task<int> RunAsync(bool json, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        var paths = DockPaths.From(new DockOptions { DataDirectory = dataDirectory });
        var agencyPublic = DemoAgency.EndorseDock(paths);
        using var identity = DockIdentity.Load(paths, null);
        using var agency = KeyFile.Load(Path.Combine(dataDirectory, "keys", "demo-agency.key"));
        var options = new RecorderOptions { Serial = "BENCH-FW-1", ClipCount = 1, TrustedAgencyKeys = [agencyPublic], FirmwareSlotBytes = bytes };
        var image = new byte[bytes];
        new Random(7).NextBytes(image);
        if (!json) output.WriteLine($"dock bench firmware — {CliOptions.FormatBytes(bytes)} image vs a {CliOptions.FormatBytes(bytes)} clip, {rounds} alternating round(s) per link, default Dock:Link settings");

        // The image is read from memory: the figure is the link's and the protocol's, not a disk's.
        ValueTask<int> FromImage(long at, Memory<byte> buffer, CancellationToken _)
        {
            image.AsSpan((int)at, buffer.Length).CopyTo(buffer.Span);
            return ValueTask.FromResult(buffer.Length);
        }

        var results = new List<LinkResult>();
        foreach (var (name, mbps) in new (string, double?)[] { ("pty pair (serial)", null), ("TCP at 40 MB/s both ways (USB 2.0)", 40), ("TCP at 1 MB/s both ways", 1) })
        {
            long size = mbps is 1 ? Math.Min(bytes, 4L << 20) : bytes; // a slow line gets a smaller sample, the same for both directions
            // The recorder's side of the line is throttled by its endpoint at its ThrottleMBps; the dock's side by the same throttle (OpenAsync).
            using var recorder = await SimulatedRecorder.CreateAsync(options with { MinClipSize = size, MaxClipSize = size, ThrottleMBps = mbps },
                cancellationToken: cancellationToken);
            var clip = recorder.Clips[0];
            double read = 0, push = 0;
            for (int round = 0; round < rounds; round++)
            {
                // Each transfer on a link of its own: the simulated line lets a writer that fell behind catch up by up to a second of line
                // time, so a transfer after a second of idleness would start with a free burst.
                await using (var reading = await OpenAsync(recorder, mbps, identity, cancellationToken))
                {
                    var clock = Stopwatch.StartNew();
                    await reading.Session.PullAsync(clip.ClipId, 0, size, (_, _) => ValueTask.CompletedTask, cancellationToken);
                    read += clock.Elapsed.TotalSeconds;
                }
                // A new image each round (its first byte differs), so the camera holds none of it and takes it whole.
                image[0] = (byte)(round + 1);
                var sha = SHA256.HashData(image.AsSpan(0, (int)size));
                var begin = new FirmwareBegin(options.Model, "9.9." + round, (ulong)size, sha,
                    agency.Sign(FirmwareSignature.Message(options.Model, "9.9." + round, (ulong)size, sha)));
                await using var pushing = await OpenAsync(recorder, mbps, identity, cancellationToken);
                var timer = Stopwatch.StartNew();
                var ready = await pushing.Session.BeginFirmwareAsync(begin, cancellationToken);
                await pushing.Session.PushFirmwareAsync((long)ready.Offset, size, ready.MaxChunk, FromImage, null, cancellationToken);
                push += timer.Elapsed.TotalSeconds;
            }
            var result = new LinkResult(name, size * rounds / 1e6 / read, size * rounds / 1e6 / push, read / push);
            results.Add(result);
            if (!json)
                output.WriteLine($"  {name,-36} clip read {result.ReadMBps,7:0.00} MB/s, firmware {result.FirmwareMBps,7:0.00} MB/s: firmware / read = {result.Ratio:0.00}");
        }

        // Bytes re-sent: power lost a third of the way into the image; the next session resumes where the camera says it holds bytes.
        using var cut = await SimulatedRecorder.CreateAsync(options with { Serial = "BENCH-FW-2", ClipCount = 0, ThrottleMBps = 40 }, cancellationToken: cancellationToken);
        image[0] = 0xEE;
        var whole = SHA256.HashData(image);
        var again = new FirmwareBegin(options.Model, "9.9.x", (ulong)bytes, whole, agency.Sign(FirmwareSignature.Message(options.Model, "9.9.x", (ulong)bytes, whole)));
        long sent = 0, resumedAt = 0;
        cut.Faults.FirmwarePowerLossAfter(bytes / 3);
        for (int attempt = 0; attempt < 2; attempt++)
        {
            await using var endpoint = await OpenAsync(cut, 40, identity, cancellationToken);
            var ready = await endpoint.Session.BeginFirmwareAsync(again, cancellationToken);
            if (attempt == 1) resumedAt = (long)ready.Offset;
            try
            {
                sent += await endpoint.Session.PushFirmwareAsync((long)ready.Offset, bytes, ready.MaxChunk, FromImage, null, cancellationToken);
            }
            catch (DeviceProtocol.Errors.DockLinkException ex) when (ex.Failure == DeviceProtocol.Errors.DockLinkFailure.ConnectionLost || attempt == 0)
            {
                // The power loss: the link dropped mid-transfer.
            }
        }
        long received = cut.Firmware.BytesReceived;
        long resent = received - bytes;
        if (json)
            output.WriteLine(JsonSerializer.Serialize(new { imageBytes = bytes, rounds, links = results, interruption = new { cutAt = bytes / 3, resumedAt, received, resent } }));
        else
            output.WriteLine($"  power lost after {bytes / 3:N0} bytes: resumed at {resumedAt:N0}; the camera received {received:N0} bytes for a {bytes:N0}-byte " +
                $"image: {resent:N0} bytes sent twice (the unfinished part of the one write in flight when the power went)");
        return ExitCodes.Ok;
    }

    private sealed class Endpoint(RecorderEndpoint recorderEndpoint, HostSession session) : IAsyncDisposable
    {
        public HostSession Session => session;

        public async ValueTask DisposeAsync()
        {
            await session.DisposeAsync();
            await recorderEndpoint.DisposeAsync();
        }
    }

    /// <summary>One link to the recorder and an authenticated session on it: a pty pair (both ends real), or loopback TCP with both directions
    /// through the simulator's throttle at <paramref name="mbps"/>.</summary>
    private static async Task<Endpoint> OpenAsync(SimulatedRecorder recorder, double? mbps, DockIdentity identity, CancellationToken cancellationToken)
    {
        RecorderEndpoint endpoint;
        IDockLinkTransport transport;
        if (mbps is null)
        {
            var pty = new PtyRecorderEndpoint(recorder);
            pty.Start();
            endpoint = pty;
            BayEndpoint.TryParse(pty.Address, out var bay, out _);
            transport = await BayConnector.ConnectAsync(bay, cancellationToken);
        }
        else
        {
            // The recorder's side is throttled by its endpoint (its options' rate); the dock's side by the same throttle here.
            var tcp = new TcpRecorderEndpoint(recorder, new IPEndPoint(IPAddress.Loopback, 0), null, TimeProvider.System);
            tcp.Start();
            endpoint = tcp;
            transport = new SimulatedLink(await TcpTransport.ConnectAsync(tcp.LocalEndPoint, cancellationToken), new RecorderFaults(), mbps, TimeProvider.System);
        }
        return new Endpoint(endpoint, await HostSession.OpenAsync(transport, identity, cancellationToken: cancellationToken));
    }
}
