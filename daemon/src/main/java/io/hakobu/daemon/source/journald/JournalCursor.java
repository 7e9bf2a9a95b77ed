package io.hakobu.daemon.source.journald;

import java.util.Locale;

/**
 * A journal cursor ({@code __CURSOR}), kept verbatim, with the parts hakobu reads from it:
 * {@code s=<seqnum id>;i=<seqnum hex>;b=<boot id>;m=<monotonic hex>;t=<realtime hex>;x=<hash>}.
 * The sequence number id names the sequence the entry belongs to (one per journald instance, kept
 * across rotation), the sequence number is its place in it.
 *
 * @param text the cursor exactly as journalctl printed it
 * @param seqnumId 32 lowercase hex characters
 * @param seqnum the entry's sequence number (positive)
 * @param bootId 32 lowercase hex characters
 */
record JournalCursor(String text, String seqnumId, long seqnum, String bootId) {

    /** Parses a cursor; null when it lacks {@code s}, {@code i} or {@code b} or they are malformed. */
    static JournalCursor parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 1024) {
            return null;
        }
        String s = null;
        String b = null;
        long i = -1;
        for (String part : text.split(";")) {
            int eq = part.indexOf('=');
            if (eq != 1) {
                continue; // older cursors carry e.g. p=system.journal; unknown parts are ignored
            }
            String v = part.substring(2);
            switch (part.charAt(0)) {
                case 's' -> s = v;
                case 'b' -> b = v;
                case 'i' -> {
                    try {
                        i = Long.parseUnsignedLong(v, 16);
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
                default -> {
                }
            }
        }
        if (!isId(s) || !isId(b) || i <= 0) {
            return null;
        }
        return new JournalCursor(text, s.toLowerCase(Locale.ROOT), i, b.toLowerCase(Locale.ROOT));
    }

    /** True for a 128-bit id written as 32 hex characters. */
    static boolean isId(String v) {
        if (v == null || v.length() != 32) {
            return false;
        }
        for (int k = 0; k < 32; k++) {
            char c = v.charAt(k);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }
}
