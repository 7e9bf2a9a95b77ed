package io.hakobu.core.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the configuration's durations ({@code 250ms}, {@code 5s}, {@code 10m}, {@code 1h}, {@code 2d}) and sizes ({@code 64KiB}, {@code 256MiB}, {@code 1GiB}). */
public final class Units {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?");

    private Units() {
    }

    /** @throws IllegalArgumentException with a message saying what was expected */
    public static Duration parseDuration(String s) {
        Matcher m = DURATION.matcher(s.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a duration like 250ms, 5s, 10m, 1h or 2d, got '" + s + "'");
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms": return Duration.ofMillis(n);
            case "s": return Duration.ofSeconds(n);
            case "m": return Duration.ofMinutes(n);
            case "h": return Duration.ofHours(n);
            default: return Duration.ofDays(n);
        }
    }

    /** @throws IllegalArgumentException with a message saying what was expected */
    public static long parseSize(String s) {
        Matcher m = SIZE.matcher(s.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a size like 64KiB, 256MiB or 1GiB, got '" + s + "'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        long mul;
        switch (unit) {
            case "B": mul = 1; break;
            case "KiB": mul = 1L << 10; break;
            case "MiB": mul = 1L << 20; break;
            case "GiB": mul = 1L << 30; break;
            case "TiB": mul = 1L << 40; break;
            case "KB": mul = 1_000L; break;
            case "MB": mul = 1_000_000L; break;
            case "GB": mul = 1_000_000_000L; break;
            default: mul = 1_000_000_000_000L; break;
        }
        return Math.multiplyExact(n, mul);
    }
}
