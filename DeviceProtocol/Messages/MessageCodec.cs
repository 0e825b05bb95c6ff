using Dock.DeviceProtocol.Errors;

namespace Dock.DeviceProtocol.Messages;

/// <summary>
/// Typed messages to and from payload bytes (docklink-v1.md §5). Encoding validates the same
/// limits decoding enforces, so we never emit what a conforming peer would reject.
/// </summary>
public static class MessageCodec
{
    public const int NonceSize = 32;
    public const int KeySize = 32;
    public const int SignatureSize = 64;
    public const int Sha256Size = 32;

    public static void Encode(Message message, WireWriter w)
    {
        switch (message)
        {
            case Hello m:
                w.U8(m.MinVersion); w.U8(m.MaxVersion); w.U32(m.MaxPayload); w.Fixed(m.HostNonce, NonceSize);
                w.Str(Identifier.Require(m.DockId, "dock id"));
                break;
            case HelloAck m:
                w.U8(m.Version); w.U32(m.MaxPayload); w.U32(m.MaxRead); w.U16(m.MaxInFlight); w.U32((uint)m.Capabilities);
                w.Fixed(m.DeviceNonce, NonceSize); w.U8(m.AuthMethods); w.Str(Identifier.Require(m.Serial, "serial"));
                break;
            case Auth m:
                w.U8(m.Method); w.Str(Identifier.Require(m.DockId, "dock id")); w.Fixed(m.DockKey, KeySize);
                w.Fixed(m.Endorsement, SignatureSize); w.Fixed(m.HostSignature, SignatureSize);
                if ((m.Method == AuthMethods.Ed25519EndorsedExpiring) != (m.Terms is not null))
                    throw new ArgumentException("AUTH carries endorsement terms exactly when its method is 2", nameof(message));
                if (m.Terms is { } terms) { w.Fixed(terms.AgencyKeyId, EndorsementTerms.KeyIdSize); w.I64(terms.NotAfterMs); }
                break;
            case AuthOk m:
                w.Fixed(m.DeviceKey, KeySize); w.Fixed(m.DeviceSignature, SignatureSize);
                break;
            case GetInfo or GetPower or Bye or ByeAck:
                break;
            case Info m:
                w.Str(Identifier.Require(m.Serial, "serial")); w.Str(m.Model); w.Str(m.Firmware); w.Str(OptionalId(m.OfficerId));
                w.U64(m.StorageTotal); w.U64(m.StorageFree); w.U32(m.ClipCount); w.I64(m.DeviceTimeMs);
                break;
            case SetOfficer m:
                if (System.Text.Encoding.UTF8.GetByteCount(m.Name) > SetOfficer.MaxNameBytes || System.Text.Encoding.UTF8.GetByteCount(m.UnitName) > SetOfficer.MaxNameBytes)
                    throw new ArgumentException($"An officer's name and unit name are at most {SetOfficer.MaxNameBytes} UTF-8 bytes.");
                w.Str(OptionalId(m.OfficerId)); w.Str(m.Name); w.Str(OptionalId(m.UnitId)); w.Str(m.UnitName);
                break;
            case OfficerSet m:
                w.Str(OptionalId(m.OfficerId)); w.Str(OptionalId(m.PreviousOfficerId));
                break;
            case SetTime m:
                w.I64(m.HostTimeMs);
                break;
            case TimeSet m:
                w.I64(m.DeviceTimeBeforeMs);
                break;
            case Power m:
                w.U8(m.Percent); w.U16(m.Millivolts); w.U8((byte)m.State); w.I16(m.TemperatureDeciC); w.U16(m.CycleCount); w.U8(m.HealthPercent);
                break;
            case GetConfig:
                break;
            case RecorderConfig m:
                CheckProfile(m.Sha256, m.Profile, factoryAllowed: m.Version == 0);
                w.U64(m.Version); w.Fixed(m.Sha256, Sha256Size); w.Bytes16(m.Profile);
                break;
            case PutConfig m:
                CheckProfile(m.Sha256, m.Profile, factoryAllowed: false);
                w.U64(m.Version); w.Fixed(m.Sha256, Sha256Size); w.Bytes16(m.Profile);
                break;
            case ConfigSet m:
                w.U64(m.Version); w.Fixed(m.AppliedSha256, Sha256Size);
                break;
            case GetFirmware:
                break;
            case FirmwareState m:
                if (m.StagedHeld > m.StagedSize) throw new ArgumentException("A device cannot hold more of an image than its size.");
                w.Str(FirmwareName(m.RunningVersion, "running version", allowEmpty: false)); w.Fixed(m.RunningSha256, Sha256Size); w.U8(CheckSlot(m.Slot));
                w.U8(m.Trial ? (byte)1 : (byte)0); w.Fixed(m.StagedSha256, Sha256Size); w.U64(m.StagedSize); w.U64(m.StagedHeld);
                w.U8((byte)m.LastFailure); w.Str(FirmwareName(m.FailedVersion, "failed version", allowEmpty: true));
                break;
            case FirmwareBegin m:
                if (m.Size is 0 or > FirmwareBegin.MaxImageBytes) throw new ArgumentException($"A firmware image is 1 … {FirmwareBegin.MaxImageBytes} bytes.");
                w.Str(FirmwareName(m.Model, "model", allowEmpty: false)); w.Str(FirmwareName(m.Version, "version", allowEmpty: false)); w.U64(m.Size);
                w.Fixed(m.Sha256, Sha256Size); w.Fixed(m.Signature, SignatureSize);
                break;
            case FirmwareReady m:
                if (m.MaxChunk == 0) throw new ArgumentException("max_chunk is at least 1.");
                w.U64(m.Offset); w.U32(m.MaxChunk);
                break;
            case FirmwareWrite m:
                if (m.Data.IsEmpty) throw new ArgumentException("A FW_WRITE carries at least one byte.");
                w.U64(m.Offset); m.Data.Span.CopyTo(w.Claim(m.Data.Length).Span);
                break;
            case FirmwareWritten m:
                w.U64(m.Held);
                break;
            case FirmwareInstall m:
                w.Fixed(m.Sha256, Sha256Size);
                break;
            case FirmwareConfirm m:
                w.Fixed(m.Sha256, Sha256Size);
                break;
            case FirmwareInstalling m:
                w.U8(CheckSlot(m.Slot));
                break;
            case FirmwareConfirmed m:
                w.U8(CheckSlot(m.Slot));
                break;
            case ListClips m:
                w.U32(m.StartIndex); w.U16(m.MaxCount);
                break;
            case ClipList m:
                if (m.Clips.Count > ListClips.MaxPage) throw new ArgumentException($"A CLIP_LIST holds at most {ListClips.MaxPage} entries.");
                w.U32(m.Total); w.U16((ushort)m.Clips.Count);
                foreach (var clip in m.Clips) WriteSummary(w, clip);
                break;
            case GetClip m:
                w.Str(Identifier.Require(m.ClipId, "clip id"));
                break;
            case ClipInfo m:
                WriteSummary(w, m.Clip); w.Str(OptionalId(m.OfficerId));
                if (m.Signature.Length is not (0 or SignatureSize)) throw new ArgumentException("A clip signature is 0 or 64 bytes.");
                w.Bytes8(m.Signature);
                if (m.Config is { } under) { w.U64(under.Version); w.Fixed(under.Sha256, Sha256Size); }
                break;
            case ReadClip m:
                w.Str(Identifier.Require(m.ClipId, "clip id")); w.U64(m.Offset); w.U32(m.Length);
                break;
            case ClipData m:
                w.U64(m.Offset); m.Data.Span.CopyTo(w.Claim(m.Data.Length).Span);
                break;
            case ReleaseClip m:
                w.Str(Identifier.Require(m.ClipId, "clip id")); w.Fixed(m.Sha256, Sha256Size);
                break;
            case Released m:
                w.U8(m.Deleted ? (byte)1 : (byte)0);
                break;
            case GetClipMeta m:
                w.Str(Identifier.Require(m.ClipId, "clip id"));
                break;
            case ClipMeta m:
                if (m.Track.Count > ClipMeta.MaxPoints || m.Markers.Count > ClipMeta.MaxMarkers)
                    throw new ArgumentException($"A CLIP_META holds at most {ClipMeta.MaxPoints} track points and {ClipMeta.MaxMarkers} markers.");
                w.Str(Identifier.Require(m.ClipId, "clip id")); w.U8(m.Important ? (byte)1 : (byte)0);
                w.U16((ushort)m.Track.Count);
                foreach (var point in m.Track)
                {
                    if (ClipMetaBounds.PointProblem(point) is { } bad) throw new ArgumentException(bad);
                    w.I64(point.TimeMs); w.I32(point.LatE7); w.I32(point.LonE7); w.U16(point.AccuracyDm);
                }
                w.U16((ushort)m.Markers.Count);
                foreach (var marker in m.Markers)
                {
                    if (!Enum.IsDefined(marker.Kind) || System.Text.Encoding.UTF8.GetByteCount(marker.Label) > ClipMarker.MaxLabelBytes)
                        throw new ArgumentException($"A marker has a known kind and a label of at most {ClipMarker.MaxLabelBytes} bytes.");
                    w.I64(marker.TimeMs); w.U8((byte)marker.Kind); w.Str(marker.Label);
                }
                break;
            case Ping m:
                w.U64(m.Token);
                break;
            case Pong m:
                w.U64(m.Token);
                break;
            case ErrorReply m:
                w.U16((ushort)m.Code); w.Str(Truncate(m.Text, 255));
                break;
            default:
                throw new ArgumentException($"No encoder for {message.GetType().Name}.", nameof(message));
        }
    }

    /// <summary>Decodes a payload. <see cref="ClipData.Data"/> aliases <paramref name="payload"/>.</summary>
    public static Message Decode(byte type, ReadOnlyMemory<byte> payload)
    {
        if (!MessageTypes.IsKnown(type))
            throw DockLinkErrors.Malformed(null, $"unknown message type 0x{type:X2}");
        var t = (MessageType)type;
        var r = new WireReader(payload.Span, t);
        Message message;
        switch (t)
        {
            case MessageType.Hello:
                message = new Hello(r.U8("min_version"), r.U8("max_version"), r.U32("max_payload"), r.Fixed(NonceSize, "host_nonce"), r.Id("dock_id"));
                break;
            case MessageType.HelloAck:
                message = new HelloAck(r.U8("version"), r.U32("max_payload"), r.U32("max_read"), r.U16("max_in_flight"),
                    (DeviceCapabilities)r.U32("capabilities"), r.Fixed(NonceSize, "device_nonce"), r.U8("auth_methods"), r.Id("serial"));
                break;
            case MessageType.Auth:
            {
                var method = r.U8("method");
                message = new Auth(method, r.Id("dock_id"), r.Fixed(KeySize, "dock_key"),
                    r.Fixed(SignatureSize, "endorsement"), r.Fixed(SignatureSize, "host_sig"),
                    method == AuthMethods.Ed25519EndorsedExpiring
                        ? new EndorsementTerms(r.Fixed(EndorsementTerms.KeyIdSize, "agency_key_id"), r.I64("not_after"))
                        : null);
                break;
            }
            case MessageType.AuthOk:
                message = new AuthOk(r.Fixed(KeySize, "device_key"), r.Fixed(SignatureSize, "device_sig"));
                break;
            case MessageType.GetInfo: message = new GetInfo(); break;
            case MessageType.GetPower: message = new GetPower(); break;
            case MessageType.Bye: message = new Bye(); break;
            case MessageType.ByeAck: message = new ByeAck(); break;
            case MessageType.Info:
                message = new Info(r.Id("serial"), r.Str("model"), r.Str("firmware"), ReadOptionalId(ref r, "officer_id"),
                    r.U64("storage_total"), r.U64("storage_free"), r.U32("clip_count"), r.I64("device_time"));
                break;
            case MessageType.SetTime: message = new SetTime(r.I64("host_time")); break;
            case MessageType.SetOfficer:
            {
                var officerId = ReadOptionalId(ref r, "officer_id");
                var name = r.Str("name");
                var unitId = ReadOptionalId(ref r, "unit_id");
                var unitName = r.Str("unit_name");
                if (System.Text.Encoding.UTF8.GetByteCount(name) > SetOfficer.MaxNameBytes) throw DockLinkErrors.Malformed(t, $"name is above {SetOfficer.MaxNameBytes} bytes");
                if (System.Text.Encoding.UTF8.GetByteCount(unitName) > SetOfficer.MaxNameBytes) throw DockLinkErrors.Malformed(t, $"unit_name is above {SetOfficer.MaxNameBytes} bytes");
                if (name.Any(char.IsControl) || unitName.Any(char.IsControl)) throw DockLinkErrors.Malformed(t, "a name holds no control characters");
                message = new SetOfficer(officerId, name, unitId, unitName);
                break;
            }
            case MessageType.OfficerSet: message = new OfficerSet(ReadOptionalId(ref r, "officer_id"), ReadOptionalId(ref r, "previous_officer_id")); break;
            case MessageType.TimeSet: message = new TimeSet(r.I64("device_time_before")); break;
            case MessageType.Power:
                var percent = r.U8("percent");
                if (percent > 100) throw DockLinkErrors.Malformed(t, $"battery percent {percent} is above 100");
                var mv = r.U16("millivolts");
                var state = r.U8("charge_state");
                if (state > (byte)ChargeState.Fault) throw DockLinkErrors.Malformed(t, $"charge state {state} is unknown");
                message = new Power(percent, mv, (ChargeState)state, r.I16("temperature"), r.U16("cycle_count"), r.U8("health"));
                break;
            case MessageType.GetConfig: message = new GetConfig(); break;
            case MessageType.Config:
            case MessageType.PutConfig:
            {
                var version = r.U64("version");
                var sha = r.Fixed(Sha256Size, "sha256");
                var profile = r.Bytes16("profile", RecorderConfig.MaxProfileBytes);
                bool factory = t == MessageType.Config && version == 0;
                if (ProfileProblem(sha, profile, factory) is { } problem) throw DockLinkErrors.Malformed(t, problem);
                message = t == MessageType.Config ? new RecorderConfig(version, sha, profile) : new PutConfig(version, sha, profile);
                break;
            }
            case MessageType.ConfigSet: message = new ConfigSet(r.U64("version"), r.Fixed(Sha256Size, "applied_sha256")); break;
            case MessageType.GetFirmware: message = new GetFirmware(); break;
            case MessageType.FirmwareState:
            {
                var running = ReadFirmwareName(ref r, "running_version", allowEmpty: false);
                var runningSha = r.Fixed(Sha256Size, "running_sha256");
                var slot = ReadSlot(ref r, "slot");
                var trial = r.U8("trial");
                if (trial > 1) throw DockLinkErrors.Malformed(t, "trial must be 0 or 1");
                var stagedSha = r.Fixed(Sha256Size, "staged_sha256");
                var stagedSize = r.U64("staged_size");
                var held = r.U64("staged_held");
                if (held > stagedSize || stagedSize > FirmwareBegin.MaxImageBytes)
                    throw DockLinkErrors.Malformed(t, $"staged_held {held} and staged_size {stagedSize} are not 0 ≤ held ≤ size ≤ {FirmwareBegin.MaxImageBytes}");
                var failure = r.U8("last_failure");
                if (!Enum.IsDefined((FirmwareFailure)failure)) throw DockLinkErrors.Malformed(t, $"last_failure {failure} is unknown");
                message = new FirmwareState(running, runningSha, slot, trial == 1, stagedSha, stagedSize, held, (FirmwareFailure)failure,
                    ReadFirmwareName(ref r, "failed_version", allowEmpty: true));
                break;
            }
            case MessageType.FirmwareBegin:
            {
                var model = ReadFirmwareName(ref r, "model", allowEmpty: false);
                var version = ReadFirmwareName(ref r, "version", allowEmpty: false);
                var size = r.U64("size");
                if (size is 0 or > FirmwareBegin.MaxImageBytes) throw DockLinkErrors.Malformed(t, $"size {size} is outside 1 … {FirmwareBegin.MaxImageBytes}");
                message = new FirmwareBegin(model, version, size, r.Fixed(Sha256Size, "sha256"), r.Fixed(SignatureSize, "signature"));
                break;
            }
            case MessageType.FirmwareReady:
            {
                var from = r.U64("offset");
                var chunk = r.U32("max_chunk");
                if (from > FirmwareBegin.MaxImageBytes || chunk == 0) throw DockLinkErrors.Malformed(t, $"offset {from} or max_chunk {chunk} is out of range");
                message = new FirmwareReady(from, chunk);
                break;
            }
            case MessageType.FirmwareWrite:
            {
                var at = r.U64("offset");
                if (r.Remaining == 0) throw DockLinkErrors.Malformed(t, "a FW_WRITE carries at least one byte");
                if (at >= FirmwareBegin.MaxImageBytes) throw DockLinkErrors.Malformed(t, $"offset {at} is beyond any image");
                return new FirmwareWrite(at, payload[r.Position..]);
            }
            case MessageType.FirmwareWritten: message = new FirmwareWritten(r.U64("held")); break;
            case MessageType.FirmwareInstall: message = new FirmwareInstall(r.Fixed(Sha256Size, "sha256")); break;
            case MessageType.FirmwareConfirm: message = new FirmwareConfirm(r.Fixed(Sha256Size, "sha256")); break;
            case MessageType.FirmwareInstalling: message = new FirmwareInstalling(ReadSlot(ref r, "slot")); break;
            case MessageType.FirmwareConfirmed: message = new FirmwareConfirmed(ReadSlot(ref r, "slot")); break;
            case MessageType.ListClips:
                var start = r.U32("start_index");
                var max = r.U16("max_count");
                if (max is 0 or > ListClips.MaxPage) throw DockLinkErrors.Malformed(t, $"max_count {max} is outside 1..{ListClips.MaxPage}");
                message = new ListClips(start, max);
                break;
            case MessageType.ClipList:
                var total = r.U32("total");
                var count = r.U16("count");
                if (count > ListClips.MaxPage) throw DockLinkErrors.Malformed(t, $"count {count} is above {ListClips.MaxPage}");
                var clips = new List<ClipSummary>(count);
                for (int i = 0; i < count; i++) clips.Add(ReadSummary(ref r));
                message = new ClipList(total, clips);
                break;
            case MessageType.GetClip: message = new GetClip(r.Id("clip_id")); break;
            case MessageType.ClipInfo:
                var summary = ReadSummary(ref r);
                var officer = ReadOptionalId(ref r, "officer_id");
                var signature = r.Bytes8("signature");
                if (signature.Length is not (0 or SignatureSize)) throw DockLinkErrors.Malformed(t, "signature must be 0 or 64 bytes");
                // v1.5 appends the profile the clip was recorded under; older devices end here.
                var under = r.Remaining > 0 ? new RecordedUnder(r.U64("config_version"), r.Fixed(Sha256Size, "config_sha256")) : null;
                message = new ClipInfo(summary, officer, signature, under);
                break;
            case MessageType.ReadClip: message = new ReadClip(r.Id("clip_id"), r.U64("offset"), r.U32("length")); break;
            case MessageType.ClipData:
                var offset = r.U64("offset");
                message = new ClipData(offset, payload[r.Position..]);
                return message;
            case MessageType.ReleaseClip: message = new ReleaseClip(r.Id("clip_id"), r.Fixed(Sha256Size, "sha256")); break;
            case MessageType.Released:
                var deleted = r.U8("deleted");
                if (deleted > 1) throw DockLinkErrors.Malformed(t, "deleted must be 0 or 1");
                message = new Released(deleted == 1);
                break;
            case MessageType.GetClipMeta: message = new GetClipMeta(r.Id("clip_id")); break;
            case MessageType.ClipMeta:
            {
                var clipId = r.Id("clip_id");
                var important = r.U8("important");
                if (important > 1) throw DockLinkErrors.Malformed(t, "important must be 0 or 1");
                var points = r.U16("point_count");
                if (points > ClipMeta.MaxPoints) throw DockLinkErrors.Malformed(t, $"point_count {points} is above {ClipMeta.MaxPoints}");
                // Bounded by the count just checked and by the payload itself (each point is 18 bytes that must be there).
                if (points * TrackPoint.WireSize > r.Remaining) throw DockLinkErrors.Malformed(t, $"{points} track points do not fit the payload");
                var track = new TrackPoint[points];
                for (int i = 0; i < points; i++)
                {
                    track[i] = new TrackPoint(r.I64("time"), r.I32("lat"), r.I32("lon"), r.U16("accuracy"));
                    if (ClipMetaBounds.PointProblem(track[i]) is { } bad) throw DockLinkErrors.Malformed(t, $"track point {i}: {bad}");
                    if (i > 0 && track[i].TimeMs < track[i - 1].TimeMs) throw DockLinkErrors.Malformed(t, $"track point {i} goes back in time");
                }
                var markerCount = r.U16("marker_count");
                if (markerCount > ClipMeta.MaxMarkers) throw DockLinkErrors.Malformed(t, $"marker_count {markerCount} is above {ClipMeta.MaxMarkers}");
                var markers = new ClipMarker[markerCount];
                for (int i = 0; i < markerCount; i++)
                {
                    var at = r.I64("time");
                    var kind = r.U8("kind");
                    if (!Enum.IsDefined((MarkerKind)kind)) throw DockLinkErrors.Malformed(t, $"marker {i}: kind {kind} is unknown");
                    var label = r.Str("label");
                    if (System.Text.Encoding.UTF8.GetByteCount(label) > ClipMarker.MaxLabelBytes)
                        throw DockLinkErrors.Malformed(t, $"marker {i}: label longer than {ClipMarker.MaxLabelBytes} bytes");
                    if (!ClipBounds.IsTime(at)) throw DockLinkErrors.Malformed(t, $"marker {i}: time {at} ms is outside 2000-01-01..2100-01-01");
                    markers[i] = new ClipMarker(at, (MarkerKind)kind, label);
                }
                message = new ClipMeta(clipId, important == 1, track, markers);
                break;
            }
            case MessageType.Ping: message = new Ping(r.U64("token")); break;
            case MessageType.Pong: message = new Pong(r.U64("token")); break;
            case MessageType.Error: message = new ErrorReply((ErrorCode)r.U16("code"), r.Str("message")); break;
            default:
                throw DockLinkErrors.Malformed(t, "no decoder");
        }
        r.End();
        return message;
    }

    /// <summary>What is wrong with a profile and its hash (null: nothing): too large, or bytes whose SHA-256 is not the one given; a factory
    /// answer (CONFIG with version 0) carries no bytes and an all-zero hash.</summary>
    public static string? ProfileProblem(ReadOnlySpan<byte> sha256, ReadOnlySpan<byte> profile, bool factory)
    {
        if (profile.Length > RecorderConfig.MaxProfileBytes) return $"the profile is {profile.Length} bytes, above {RecorderConfig.MaxProfileBytes}";
        if (factory) return profile.Length == 0 && !sha256.ContainsAnyExcept((byte)0) ? null : "a version-0 (factory) configuration carries no profile and a zero hash";
        if (profile.Length == 0) return "the profile is empty";
        Span<byte> actual = stackalloc byte[Sha256Size];
        System.Security.Cryptography.SHA256.HashData(profile, actual);
        return actual.SequenceEqual(sha256) ? null : "the profile's bytes do not hash to its sha256";
    }

    private static void CheckProfile(byte[] sha256, byte[] profile, bool factoryAllowed)
    {
        if (sha256.Length != Sha256Size) throw new ArgumentException("A profile hash is 32 bytes.");
        if (ProfileProblem(sha256, profile, factoryAllowed) is { } problem) throw new ArgumentException(problem);
    }

    private static byte CheckSlot(byte slot) => slot <= 1 ? slot : throw new ArgumentException("A firmware slot is 0 (A) or 1 (B).");

    private static byte ReadSlot(ref WireReader r, string field)
    {
        var slot = r.U8(field);
        return slot <= 1 ? slot : throw DockLinkErrors.Malformed(null, $"field '{field}' is {slot}; a firmware slot is 0 (A) or 1 (B)");
    }

    /// <summary>A model or firmware version: printable ASCII without spaces, at most <see cref="FirmwareBegin.MaxNameBytes"/> bytes (it is shown,
    /// logged and used in names, so nothing a camera sends in it can be mistaken for something else).</summary>
    public static bool IsFirmwareName(string value) =>
        value.Length <= FirmwareBegin.MaxNameBytes && value.All(c => c is > ' ' and < (char)0x7F);

    private static string FirmwareName(string value, string what, bool allowEmpty) =>
        (value.Length > 0 || allowEmpty) && IsFirmwareName(value) ? value
            : throw new ArgumentException($"A firmware {what} is 1 … {FirmwareBegin.MaxNameBytes} printable ASCII characters without spaces.");

    private static string ReadFirmwareName(ref WireReader r, string field, bool allowEmpty)
    {
        var value = r.Str(field);
        return (value.Length > 0 || allowEmpty) && IsFirmwareName(value) ? value
            : throw DockLinkErrors.Malformed(null, $"field '{field}' is not 1 … {FirmwareBegin.MaxNameBytes} printable ASCII characters without spaces");
    }

    private static void WriteSummary(WireWriter w, ClipSummary c)
    {
        w.Str(Identifier.Require(c.ClipId, "clip id")); w.U64(c.Size); w.I64(c.StartMs); w.I64(c.EndMs);
        w.U16((ushort)c.Flags); w.Fixed(c.Sha256, Sha256Size);
    }

    private static ClipSummary ReadSummary(ref WireReader r)
    {
        var id = r.Id("clip_id");
        var size = r.U64("size");
        // Sizes and times are checked per entry by the host (ClipBounds), so one absurd entry does not void the page.
        return new ClipSummary(id, size, r.I64("start_time"), r.I64("end_time"), (ClipFlags)r.U16("flags"), r.Fixed(Sha256Size, "sha256"));
    }

    private static string OptionalId(string value) =>
        value.Length == 0 ? value : Identifier.Require(value, "officer id");

    private static string ReadOptionalId(ref WireReader r, string field)
    {
        var value = r.Str(field);
        return value.Length == 0 || Identifier.IsValid(value)
            ? value
            : throw DockLinkErrors.Malformed(null, $"field '{field}' is not a valid identifier ({Identifier.Rule})");
    }

    private static string Truncate(string text, int maxBytes)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(text) <= maxBytes) return text;
        var chars = text.AsSpan();
        int length = Math.Min(chars.Length, maxBytes);
        while (System.Text.Encoding.UTF8.GetByteCount(chars[..length]) > maxBytes) length--;
        return new string(chars[..length]);
    }
}
