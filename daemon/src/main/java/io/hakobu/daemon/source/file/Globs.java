package io.hakobu.daemon.source.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the regular files matched by {@code include} globs and not by {@code exclude} globs.
 * An exclude pattern with a {@code /} is matched against the full path, otherwise against the file
 * name (so {@code *.gz} excludes rotated, compressed files anywhere).
 */
final class Globs {
    private final List<Include> includes = new ArrayList<>();
    private final List<PathMatcher> excludeFull = new ArrayList<>();
    private final List<PathMatcher> excludeName = new ArrayList<>();

    private record Include(Path base, int maxDepth, PathMatcher matcher) {
    }

    Globs(List<String> include, List<String> exclude) {
        for (String p : include) {
            includes.add(new Include(baseOf(p), depthOf(p), FileSystems.getDefault().getPathMatcher("glob:" + p)));
        }
        for (String p : exclude) {
            PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + p);
            (p.contains("/") ? excludeFull : excludeName).add(m);
        }
    }

    /** Every matching regular file, in a stable order. Unreadable directories are skipped. */
    Set<Path> scan() {
        return scan(null);
    }

    /**
     * Every matching regular file, in a stable order, and (into {@code dirs}, when not null) every
     * directory walked that could hold a match: where a new file or directory must be noticed.
     * Unreadable directories are skipped.
     */
    Set<Path> scan(Set<Path> dirs) {
        List<Path> out = new ArrayList<>();
        for (Include inc : includes) {
            if (!Files.isDirectory(inc.base)) {
                continue;
            }
            try {
                Files.walkFileTree(inc.base, Set.of(), inc.maxDepth, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                        int depth = d.equals(inc.base) ? 0 : inc.base.relativize(d).getNameCount();
                        if (dirs != null && depth < inc.maxDepth) {
                            dirs.add(d);
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path p, BasicFileAttributes attrs) {
                        boolean regular = attrs.isRegularFile() || (attrs.isSymbolicLink() && Files.isRegularFile(p));
                        if (regular && inc.matcher.matches(p) && !excluded(p)) {
                            out.add(p);
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path p, IOException e) {
                        return FileVisitResult.CONTINUE; // vanished or unreadable: the next scan tries again
                    }
                });
            } catch (IOException | UncheckedIOException e) {
                // a directory vanished or is unreadable while walking: the next scan tries again
            }
        }
        out.sort(null);
        return new LinkedHashSet<>(out);
    }

    boolean matches(Path p) {
        for (Include inc : includes) {
            if (inc.matcher.matches(p)) {
                return !excluded(p);
            }
        }
        return false;
    }

    private boolean excluded(Path p) {
        for (PathMatcher m : excludeFull) {
            if (m.matches(p)) {
                return true;
            }
        }
        Path name = p.getFileName();
        for (PathMatcher m : excludeName) {
            if (name != null && m.matches(name)) {
                return true;
            }
        }
        return false;
    }

    /** The directory before the first path segment with a glob character. */
    static Path baseOf(String pattern) {
        String[] parts = pattern.split("/");
        StringBuilder base = new StringBuilder();
        for (int i = 0; i < parts.length - 1; i++) {
            if (hasGlob(parts[i])) {
                break;
            }
            if (!parts[i].isEmpty()) {
                base.append('/').append(parts[i]);
            }
        }
        return Path.of(base.length() == 0 ? "/" : base.toString());
    }

    static int depthOf(String pattern) {
        if (pattern.contains("**")) {
            return Integer.MAX_VALUE;
        }
        int baseDepth = baseOf(pattern).getNameCount();
        return Path.of(pattern).getNameCount() - baseDepth;
    }

    private static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('{') >= 0;
    }
}
