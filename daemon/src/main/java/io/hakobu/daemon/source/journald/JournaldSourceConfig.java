package io.hakobu.daemon.source.journald;

import java.time.Duration;
import java.util.List;

/**
 * Configuration of {@code type: journald} (SPEC §3, README "journald source").
 *
 * @param directory a journal directory to read ({@code journalctl --directory}); null for the
 *     system journal
 * @param units only entries of these systemd units ({@code journalctl --unit}); empty: all
 * @param identifiers only entries with these {@code SYSLOG_IDENTIFIER}s ({@code --identifier})
 * @param matches journalctl matches {@code FIELD=value} (same field: any of them; different fields:
 *     all of them; {@code +} between groups: either group)
 * @param sinceNow at the first start (no checkpoint), skip what the journal already holds
 * @param currentBootOnly only entries of the current boot (for {@code directory}: of the newest
 *     boot in it when the source starts)
 * @param journalctl the journalctl program
 * @param maxFieldBytes longer values are cut and listed in {@code _TRUNCATED_FIELDS}
 * @param maxEntryBytes value bytes kept per entry; beyond, fields are dropped and listed
 * @param batchEvents most entries per batch
 * @param pollInterval how long to wait when journalctl has nothing new
 */
public record JournaldSourceConfig(
        String directory,
        List<String> units,
        List<String> identifiers,
        List<String> matches,
        boolean sinceNow,
        boolean currentBootOnly,
        String journalctl,
        int maxFieldBytes,
        int maxEntryBytes,
        int batchEvents,
        Duration pollInterval) {

    /** True when some filter may hide entries (so sequence-number jumps are not gaps). */
    boolean filtered() {
        return !units.isEmpty() || !identifiers.isEmpty() || !matches.isEmpty() || currentBootOnly;
    }
}
