package io.hakobu.core.event;

/** Names of the journald-style fields hakobu itself sets (SPEC §2). */
public final class Fields {
    private Fields() {
    }

    public static final String MESSAGE = "MESSAGE";
    public static final String PRIORITY = "PRIORITY";
    public static final String SYSLOG_IDENTIFIER = "SYSLOG_IDENTIFIER";
    public static final String SYSLOG_FACILITY = "SYSLOG_FACILITY";
    public static final String SYSLOG_PID = "SYSLOG_PID";
    public static final String HOSTNAME = "_HOSTNAME";
    public static final String SOURCE = "_SOURCE";
    public static final String FILE = "_FILE";
    public static final String PARSE_ERROR = "_PARSE_ERROR";
    /** Set when a line was longer than the source's limit and was cut. */
    public static final String TRUNCATED = "_TRUNCATED";
    public static final String REALTIME_TIMESTAMP = "__REALTIME_TIMESTAMP";
    public static final String CURSOR = "__CURSOR";
    public static final String ID = "__ID";
}
