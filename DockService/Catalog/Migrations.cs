namespace Dock.Service.Catalog;

/// <summary>
/// Schema migrations, applied in order inside one transaction each; PRAGMA user_version records
/// the last one applied. Never edit a shipped migration: add the next.
/// </summary>
internal static class Migrations
{
    public static readonly string[] All =
    [
        // 1: recorders, bays, docking sessions, battery samples, clips and their state history.
        """
        CREATE TABLE recorders (
            serial          TEXT PRIMARY KEY,
            model           TEXT NOT NULL,
            firmware        TEXT NOT NULL,
            officer_id      TEXT NOT NULL,
            key_fingerprint TEXT,
            public_key      BLOB,
            first_seen      TEXT NOT NULL,
            last_seen       TEXT NOT NULL
        );
        CREATE TABLE bays (
            bay_id     TEXT PRIMARY KEY,
            endpoint   TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE docking_sessions (
            id              INTEGER PRIMARY KEY,
            bay_id          TEXT NOT NULL REFERENCES bays(bay_id),
            recorder_serial TEXT NOT NULL REFERENCES recorders(serial),
            started_at      TEXT NOT NULL,
            ended_at        TEXT,
            clock_offset_ms INTEGER,
            end_reason      TEXT
        );
        CREATE TABLE battery_samples (
            id              INTEGER PRIMARY KEY,
            session_id      INTEGER NOT NULL REFERENCES docking_sessions(id),
            recorder_serial TEXT NOT NULL REFERENCES recorders(serial),
            at              TEXT NOT NULL,
            percent         INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
            millivolts      INTEGER NOT NULL,
            charge_state    TEXT NOT NULL,
            temperature_dc  INTEGER NOT NULL,
            cycle_count     INTEGER NOT NULL,
            health_percent  INTEGER NOT NULL
        );
        CREATE INDEX battery_by_recorder ON battery_samples(recorder_serial, at);
        CREATE TABLE clips (
            id              INTEGER PRIMARY KEY,
            recorder_serial TEXT NOT NULL REFERENCES recorders(serial),
            clip_id         TEXT NOT NULL,
            size            INTEGER NOT NULL CHECK (size >= 0),
            device_sha256   TEXT NOT NULL,
            device_start    TEXT NOT NULL,
            device_end      TEXT NOT NULL,
            flags           INTEGER NOT NULL,
            officer_id      TEXT NOT NULL,
            state           TEXT NOT NULL CHECK (state IN ('announced','pulling','stored','verified','released','quarantined')),
            pulled_bytes    INTEGER NOT NULL DEFAULT 0,
            attempts        INTEGER NOT NULL DEFAULT 0,
            vault_path      TEXT,
            stored_sha256   TEXT,
            last_error      TEXT,
            announced_at    TEXT NOT NULL,
            updated_at      TEXT NOT NULL,
            UNIQUE (recorder_serial, clip_id)
        );
        CREATE INDEX clips_by_state ON clips(state);
        CREATE TABLE clip_events (
            id       INTEGER PRIMARY KEY,
            clip_row INTEGER NOT NULL REFERENCES clips(id),
            at       TEXT NOT NULL,
            state    TEXT NOT NULL,
            detail   TEXT
        );
        CREATE TABLE quarantine (
            id       INTEGER PRIMARY KEY,
            clip_row INTEGER NOT NULL REFERENCES clips(id),
            path     TEXT NOT NULL,
            sha256   TEXT NOT NULL,
            reason   TEXT NOT NULL,
            at       TEXT NOT NULL
        );
        """,
        // 2: the custody log (R3): entries in their exact leaf bytes, signed checkpoints, and each clip's "stored" entry.
        """
        CREATE TABLE custody_entries (
            idx       INTEGER PRIMARY KEY,
            entry     BLOB NOT NULL,
            leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32)
        );
        CREATE TABLE custody_checkpoints (
            size INTEGER PRIMARY KEY,
            note TEXT NOT NULL,
            at   TEXT NOT NULL
        );
        ALTER TABLE clips ADD COLUMN custody_index INTEGER;
        ALTER TABLE clips ADD COLUMN manifest_path TEXT;
        """,
        // 3: recorder enrolment (trusted keys, with rotation and revocation kept as history), alerts,
        //    each clip's record-time signature, and why a clip is held in quarantine.
        """
        CREATE TABLE recorder_keys (
            id            INTEGER PRIMARY KEY,
            serial        TEXT NOT NULL,
            public_key    BLOB NOT NULL CHECK (length(public_key) = 32),
            fingerprint   TEXT NOT NULL,
            enrolled_at   TEXT NOT NULL,
            source        TEXT NOT NULL,
            revoked_at    TEXT,
            revoke_reason TEXT
        );
        CREATE UNIQUE INDEX recorder_keys_one_active ON recorder_keys(serial) WHERE revoked_at IS NULL;
        CREATE TABLE alerts (
            id              INTEGER PRIMARY KEY,
            at              TEXT NOT NULL,
            kind            TEXT NOT NULL,
            recorder_serial TEXT,
            clip_id         TEXT,
            message         TEXT NOT NULL
        );
        ALTER TABLE clips ADD COLUMN recorder_signature TEXT;
        ALTER TABLE clips ADD COLUMN hold TEXT;
        -- A rotated dock key signs its own checkpoint of a size the old key already signed.
        CREATE TABLE custody_checkpoints_v3 (
            id      INTEGER PRIMARY KEY,
            size    INTEGER NOT NULL,
            key_id  TEXT NOT NULL,
            note    TEXT NOT NULL,
            at      TEXT NOT NULL,
            UNIQUE (size, key_id)
        );
        INSERT INTO custody_checkpoints_v3(size, key_id, note, at) SELECT size, '', note, at FROM custody_checkpoints ORDER BY size;
        DROP TABLE custody_checkpoints;
        ALTER TABLE custody_checkpoints_v3 RENAME TO custody_checkpoints;
        """,
        // 4: the upload queue (Upload/): one row per verified clip, its multipart state, and the parts the store holds.
        """
        CREATE TABLE uploads (
            id              INTEGER PRIMARY KEY,
            clip_row        INTEGER NOT NULL UNIQUE REFERENCES clips(id),
            target          TEXT NOT NULL,
            object_key      TEXT NOT NULL,
            priority        INTEGER NOT NULL,
            state           TEXT NOT NULL CHECK (state IN ('queued','uploading','uploaded','verified')),
            upload_id       TEXT,
            part_size       INTEGER,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error      TEXT,
            queued_at       TEXT NOT NULL,
            updated_at      TEXT NOT NULL
        );
        CREATE INDEX uploads_due ON uploads(state, priority DESC, queued_at);
        CREATE TABLE upload_parts (
            upload_row  INTEGER NOT NULL REFERENCES uploads(id),
            part_number INTEGER NOT NULL,
            receipt     TEXT NOT NULL,
            size        INTEGER NOT NULL,
            PRIMARY KEY (upload_row, part_number)
        );
        """,
        // 5: keyless enrolment for mass-storage recorders, which have no key to prove (recorder-command-channel-v1.md §6):
        // an empty public_key. SQLite cannot alter a CHECK, so the table is rebuilt.
        """
        CREATE TABLE recorder_keys_v5 (
            id            INTEGER PRIMARY KEY,
            serial        TEXT NOT NULL,
            public_key    BLOB NOT NULL CHECK (length(public_key) IN (0, 32)),
            fingerprint   TEXT NOT NULL,
            enrolled_at   TEXT NOT NULL,
            source        TEXT NOT NULL,
            revoked_at    TEXT,
            revoke_reason TEXT
        );
        INSERT INTO recorder_keys_v5 SELECT id, serial, public_key, fingerprint, enrolled_at, source, revoked_at, revoke_reason FROM recorder_keys;
        DROP TABLE recorder_keys;
        ALTER TABLE recorder_keys_v5 RENAME TO recorder_keys;
        CREATE UNIQUE INDEX recorder_keys_one_active ON recorder_keys(serial) WHERE revoked_at IS NULL;
        """,
        // 6: releases are settled, not assumed (custody-log-v1.md §1.1): when the dock asked a recorder to delete a
        //    clip (release_requested_*), and when it learnt the clip is no longer on the recorder (left_recorder_at),
        //    whoever deleted it. Alerts are kept open until their cause is gone, then marked resolved.
        """
        ALTER TABLE clips ADD COLUMN release_requested_at TEXT;
        ALTER TABLE clips ADD COLUMN release_requested_index INTEGER;
        ALTER TABLE clips ADD COLUMN left_recorder_at TEXT;
        UPDATE clips SET left_recorder_at = updated_at WHERE state = 'released';
        ALTER TABLE alerts ADD COLUMN last_at TEXT;
        ALTER TABLE alerts ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE alerts ADD COLUMN resolved_at TEXT;
        ALTER TABLE alerts ADD COLUMN resolution TEXT;
        UPDATE alerts SET last_at = at;
        CREATE INDEX alerts_open ON alerts(kind, recorder_serial, clip_id) WHERE resolved_at IS NULL;
        """,
        // 7: people (Users/): local accounts with Argon2id password hashes and roles, login lockout, API tokens stored as
        //    SHA-256 hashes; who acknowledged an alert, and why.
        """
        CREATE TABLE users (
            name            TEXT PRIMARY KEY,
            password_hash   TEXT NOT NULL,
            roles           TEXT NOT NULL,
            disabled_at     TEXT,
            created_at      TEXT NOT NULL,
            failed_logins   INTEGER NOT NULL DEFAULT 0,
            locked_until    TEXT
        );
        CREATE TABLE api_tokens (
            id          INTEGER PRIMARY KEY,
            user_name   TEXT NOT NULL REFERENCES users(name),
            token_hash  TEXT NOT NULL UNIQUE,
            roles       TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            revoked_at  TEXT
        );
        ALTER TABLE alerts ADD COLUMN acknowledged_at TEXT;
        ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;
        ALTER TABLE alerts ADD COLUMN acknowledgement TEXT;
        """,
        // 8: the custody entries of each clip, found without reading the whole log (a clip's detail lists them). Entries
        //    appended before this version are indexed when the log is next opened (CustodyLog.OpenAsync), from indexed_to on.
        """
        CREATE TABLE custody_clip_entries (
            recorder_serial TEXT NOT NULL,
            clip_id         TEXT NOT NULL,
            idx             INTEGER NOT NULL REFERENCES custody_entries(idx),
            PRIMARY KEY (recorder_serial, clip_id, idx)
        ) WITHOUT ROWID;
        CREATE TABLE custody_clip_index (indexed_to INTEGER NOT NULL);
        INSERT INTO custody_clip_index(indexed_to) VALUES (0);
        CREATE INDEX sessions_by_recorder ON docking_sessions(recorder_serial, id);
        """,
        // 9: officers sign in at the kiosk with a badge number and PIN; each person's language for the pages. The console's clip
        //    search by officer and by date range is indexed.
        """
        ALTER TABLE users ADD COLUMN badge TEXT;
        ALTER TABLE users ADD COLUMN pin_hash TEXT;
        ALTER TABLE users ADD COLUMN language TEXT;
        CREATE UNIQUE INDEX users_by_badge ON users(badge) WHERE badge IS NOT NULL;
        CREATE INDEX clips_by_officer ON clips(officer_id, id);
        CREATE INDEX clips_by_start ON clips(device_start);
        """,
        // 10: evidence tags (Metadata/): each field of a clip with its value, where the value came from, who set it and when. The
        //     history of every change is the custody log's (metadata-changed entries, each committed with its row here). The
        //     version of each clip's tags, and which version its signed sidecar in the cloud holds.
        """
        CREATE TABLE clip_tags (
            clip_row INTEGER NOT NULL REFERENCES clips(id),
            field    TEXT NOT NULL,
            value    TEXT NOT NULL,
            source   TEXT NOT NULL,
            set_by   TEXT NOT NULL,
            set_at   TEXT NOT NULL,
            PRIMARY KEY (clip_row, field)
        ) WITHOUT ROWID;
        -- The version of a clip's tags (one more per change), and the version its cloud sidecar holds (-1: none yet).
        CREATE TABLE clip_metadata_versions (
            clip_row  INTEGER PRIMARY KEY REFERENCES clips(id),
            version   INTEGER NOT NULL,
            published INTEGER NOT NULL DEFAULT -1
        );
        CREATE INDEX metadata_unpublished ON clip_metadata_versions(clip_row) WHERE version > published;
        """,
        // 11: retention (Retention/): legal holds on a clip or on every clip of a case number, placed and lifted with a reason (each a
        //     custody entry); a clip's vault copy purged once its cloud copy is verified, with the custody entry that records it. The
        //     row keeps where the copy was (vault_path); purged_at says it is gone.
        """
        -- A hold's id is the index of the custody entry that placed it.
        CREATE TABLE legal_holds (
            id           INTEGER PRIMARY KEY,
            clip_row     INTEGER REFERENCES clips(id),
            case_number  TEXT,
            reason       TEXT NOT NULL,
            placed_by    TEXT NOT NULL,
            placed_at    TEXT NOT NULL,
            lifted_by    TEXT,
            lifted_at    TEXT,
            lift_reason  TEXT,
            lifted_index INTEGER,
            CHECK ((clip_row IS NULL) <> (case_number IS NULL))
        );
        CREATE INDEX holds_active_clip ON legal_holds(clip_row) WHERE lifted_at IS NULL;
        CREATE INDEX holds_active_case ON legal_holds(case_number) WHERE lifted_at IS NULL;
        ALTER TABLE clips ADD COLUMN purged_at TEXT;
        ALTER TABLE clips ADD COLUMN purged_index INTEGER;
        CREATE INDEX clip_tags_by_value ON clip_tags(field, value);
        """,
        // 12: what a recorder keeps beside a clip (DockLink v1.2 CLIP_META, or a mass-storage camera's sidecar files): its GPS track
        //     (the wire's 18-byte points, oldest first), event markers (JSON), the importance flag set on the camera, what was left out
        //     as out of bounds, and a problem when the recorder's answer was refused (then nothing else is kept, and it is not asked again).
        """
        CREATE TABLE clip_recorder_data (
            clip_row    INTEGER PRIMARY KEY REFERENCES clips(id),
            received_at TEXT NOT NULL,
            important   INTEGER NOT NULL,
            track       BLOB NOT NULL,
            markers     TEXT NOT NULL,
            dropped     INTEGER NOT NULL,
            problem     TEXT
        );
        """,
        // 13: the equipment registry (Registry/): units, officers (badge, name, unit, enforcement officer or auxiliary staff, 执法证 number and
        //     expiry) and recorders as the equipment manager registers them (model, firmware, status, home unit; what a docking observes
        //     stays in recorders). Every change is a registry-changed custody entry committed with it.
        """
        CREATE TABLE units (
            id         TEXT PRIMARY KEY,
            name       TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE officers (
            badge               TEXT PRIMARY KEY,
            name                TEXT NOT NULL,
            unit_id             TEXT NOT NULL REFERENCES units(id),
            role                TEXT NOT NULL CHECK (role IN ('officer', 'auxiliary')),
            certificate         TEXT,
            certificate_expires TEXT,
            updated_at          TEXT NOT NULL
        );
        CREATE INDEX officers_by_unit ON officers(unit_id);
        CREATE TABLE recorder_registry (
            serial     TEXT PRIMARY KEY,
            model      TEXT NOT NULL,
            firmware   TEXT NOT NULL,
            status     TEXT NOT NULL CHECK (status IN ('in-service', 'spare', 'repair', 'retired')),
            home_unit  TEXT REFERENCES units(id),
            updated_at TEXT NOT NULL
        );
        """,
        // 14: a camera's storage at each docking (total and free bytes, as it reported them): cameras whose locked footage fills them stop
        //     recording, so the equipment manager sees which dock nearly full.
        """
        ALTER TABLE docking_sessions ADD COLUMN storage_total INTEGER;
        ALTER TABLE docking_sessions ADD COLUMN storage_free INTEGER;
        """,
        // 15: checkout and check-in (Equipment/): who holds which camera, from which bay, until it docks again; at most one open checkout per
        //     officer and per camera, enforced here too. A camera may be bound to one officer (fixed mode). Each unit's compliance with the
        //     equipment-ratio policy, a row whenever its figures change, so compliance over any period can be told afterwards.
        """
        ALTER TABLE recorder_registry ADD COLUMN officer TEXT;
        CREATE TABLE checkouts (
            id              INTEGER PRIMARY KEY,
            recorder_serial TEXT NOT NULL,
            officer_badge   TEXT NOT NULL,
            unit_id         TEXT NOT NULL,
            mode            TEXT NOT NULL CHECK (mode IN ('pool', 'fixed')),
            bay_id          TEXT NOT NULL,
            docking_session INTEGER NOT NULL,
            accompanied_by  TEXT,
            out_at          TEXT NOT NULL,
            out_index       INTEGER NOT NULL,
            due_at          TEXT NOT NULL,
            in_at           TEXT,
            in_index        INTEGER,
            in_how          TEXT
        );
        CREATE UNIQUE INDEX open_checkout_by_officer ON checkouts(officer_badge) WHERE in_at IS NULL;
        CREATE UNIQUE INDEX open_checkout_by_recorder ON checkouts(recorder_serial) WHERE in_at IS NULL;
        CREATE INDEX checkouts_by_time ON checkouts(out_at);
        CREATE TABLE unit_compliance (
            id          INTEGER PRIMARY KEY,
            unit_id     TEXT NOT NULL,
            at          TEXT NOT NULL,
            officers    INTEGER NOT NULL,
            serviceable INTEGER NOT NULL,
            spare       INTEGER NOT NULL,
            ready       INTEGER NOT NULL,
            compliant   INTEGER NOT NULL CHECK (compliant IN (0, 1)),
            problems    TEXT NOT NULL
        );
        CREATE INDEX compliance_by_unit ON unit_compliance(unit_id, at);
        """,
        // 16: the charging log (Equipment/BatteryHealth): each battery sample also names its bay and the charge rate since the docking's previous
        //     sample (percentage points per hour), and each docking keeps its charging summary, updated with every sample: the charge at the
        //     start and now, when it first read full, the points delivered, and the rate while below 80 % (the constant-current phase). Battery
        //     health is judged from these summaries, a few rows per docking, never from the whole sample history.
        """
        ALTER TABLE battery_samples ADD COLUMN bay_id TEXT;
        ALTER TABLE battery_samples ADD COLUMN rate_pph REAL;
        CREATE INDEX battery_by_session ON battery_samples(session_id, id);
        CREATE TABLE charge_sessions (
            session_id      INTEGER PRIMARY KEY REFERENCES docking_sessions(id),
            recorder_serial TEXT NOT NULL,
            first_at        TEXT NOT NULL,
            last_at         TEXT NOT NULL,
            start_percent   INTEGER NOT NULL,
            last_percent    INTEGER NOT NULL,
            full_at         TEXT,
            delivered       REAL NOT NULL DEFAULT 0,
            cc_points       REAL NOT NULL DEFAULT 0,
            cc_hours        REAL NOT NULL DEFAULT 0,
            fault           INTEGER NOT NULL DEFAULT 0,
            health_percent  INTEGER NOT NULL,
            cycle_count     INTEGER NOT NULL
        );
        CREATE INDEX charge_by_recorder ON charge_sessions(recorder_serial, session_id);
        """,
        // 17: supervised retrieval (Retrieval/). Each clip's sensitivity (R6), with the custody entry that set it. Each retrieval (R5) — a
        //     viewing session, a download, a metadata read of a sensitive clip, a case export, and each refusal — with who, why (a configured
        //     purpose and a case number or free text), the clip's unit and the person's, and for a viewing session the byte ranges served,
        //     merged as they are served, closed by a second `viewed` entry once the player has been idle for Dock:Retrieval:ViewIdle.
        """
        CREATE TABLE clip_sensitivity (
            clip_row  INTEGER PRIMARY KEY REFERENCES clips(id),
            level     TEXT NOT NULL CHECK (level IN ('none', 'personal-privacy', 'trade-secret', 'state-secret')),
            set_by    TEXT NOT NULL,
            set_at    TEXT NOT NULL,
            reason    TEXT,
            set_index INTEGER NOT NULL
        );
        CREATE TABLE retrievals (
            id              INTEGER PRIMARY KEY,
            token           TEXT UNIQUE,
            clip_row        INTEGER REFERENCES clips(id),
            recorder_serial TEXT,
            clip_id         TEXT,
            user_name       TEXT NOT NULL,
            kind            TEXT NOT NULL CHECK (kind IN ('view', 'download', 'metadata', 'export', 'refused')),
            purpose         TEXT NOT NULL,
            reason          TEXT NOT NULL,
            clip_unit       TEXT,
            user_unit       TEXT,
            at              TEXT NOT NULL,
            last_at         TEXT NOT NULL,
            closed_at       TEXT,
            open_index      INTEGER,
            close_index     INTEGER,
            ranges          TEXT NOT NULL DEFAULT '',
            bytes           INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX retrievals_by_time ON retrievals(at);
        CREATE INDEX retrievals_by_clip ON retrievals(clip_row, at);
        CREATE INDEX retrievals_by_user ON retrievals(user_name, at);
        CREATE INDEX retrievals_open ON retrievals(last_at) WHERE closed_at IS NULL AND kind = 'view';
        """,
        // 18: fleet configuration (Fleet/). Each bundle the dock applied: its version (only ever higher), the SHA-256 of its signed text, the key
        //     that signed it, where it came from and the custody entry that records it. The note itself is kept at DATA/fleet/bundles/V.note.
        """
        CREATE TABLE fleet_bundles (
            version       INTEGER PRIMARY KEY,
            sha256        TEXT NOT NULL,
            signed_by     TEXT NOT NULL,
            source        TEXT NOT NULL,
            applied_at    TEXT NOT NULL,
            actor         TEXT NOT NULL,
            custody_index INTEGER NOT NULL
        );
        """,
        // 19: the recorder profile each recorder runs (Fleet/RecorderConfiguration): as it last said (GET_CONFIG or PUT_CONFIG's answer), with
        //     the bundle version it came from, and the custody entry of the dock's last write to it.
        """
        CREATE TABLE recorder_config (
            serial        TEXT PRIMARY KEY,
            model         TEXT NOT NULL,
            version       INTEGER NOT NULL,
            sha256        TEXT NOT NULL,
            checked_at    TEXT NOT NULL,
            custody_index INTEGER
        );
        """,
        // 20: the firmware each recorder runs and the image the dock is putting on it (Fleet/RecorderFirmware), and, per clip, the recorder
        //     profile the camera says (under its v1.5 record-time signature) it was recorded under.
        """
        CREATE TABLE recorder_firmware (
            serial         TEXT PRIMARY KEY,
            model          TEXT NOT NULL,
            version        TEXT NOT NULL,
            sha256         TEXT NOT NULL,
            slot           INTEGER NOT NULL,
            trial          INTEGER NOT NULL,
            state          TEXT NOT NULL,
            detail         TEXT NOT NULL,
            target_sha256  TEXT,
            target_version TEXT,
            failed_sha256  TEXT,
            install_tries  INTEGER NOT NULL DEFAULT 0,
            bytes_sent     INTEGER NOT NULL DEFAULT 0,
            bytes_resent   INTEGER NOT NULL DEFAULT 0,
            checked_at     TEXT NOT NULL,
            custody_index  INTEGER
        );
        ALTER TABLE clips ADD COLUMN config_version INTEGER;
        ALTER TABLE clips ADD COLUMN config_sha256 TEXT;
        """,
    ];
}
