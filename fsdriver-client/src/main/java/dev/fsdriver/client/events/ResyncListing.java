package dev.fsdriver.client.events;

import dev.fsdriver.common.FileMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One directory's listing as an overflow resync reads it ({@link OverflowResync}). Up to a bound
 * it keeps every name with its inode number and mode; past it only a 64-bit hash of each name
 * (8 bytes, where a kept name costs about 140) and the directory entries (up to the bound), which
 * is all a resync of a huge directory uses ({@link OverflowResync}: no per-name announcements
 * there). A 1,000,000-name directory resynced as a map cost ~140 MB per listing and ran a mount
 * out of heap in a storm of overflows (2026-12-06).
 *
 * <p>A hash that two names share makes a name gone look listed: its delete is not announced, its
 * entry is still dropped from the kernel's cache (odds about n^2 / 2^65).
 */
final class ResyncListing {
    /** A directory entry of a big listing. */
    record Dir(String name, long ino) {}

    private final int bound;
    /** name -> {ino, mode}, null once past the bound. */
    private Map<String, long[]> names = new HashMap<>();
    private long[] hashes;
    private int size;
    /** Once big: the listing's directory entries; null when they were more than the bound. */
    private List<Dir> dirs;
    private boolean sorted;

    ResyncListing(int bound) {
        this.bound = bound;
    }

    void add(String name, long ino, int mode) {
        if (names != null) {
            names.put(name, new long[] {ino, mode});
            if (names.size() > bound) {
                compact();
            }
            return;
        }
        if (size == hashes.length) {
            hashes = Arrays.copyOf(hashes, size + (size >> 1));
        }
        hashes[size++] = hash(name);
        sorted = false;
        if (FileMode.isDirectory(mode) && dirs != null) {
            dirs.add(new Dir(name, ino));
            if (dirs.size() > bound) {
                dirs = null;
            }
        }
    }

    private void compact() {
        hashes = new long[Math.max(16, names.size() * 2)];
        dirs = new ArrayList<>();
        for (Map.Entry<String, long[]> e : names.entrySet()) {
            hashes[size++] = hash(e.getKey());
            if (FileMode.isDirectory((int) e.getValue()[1])) {
                dirs.add(new Dir(e.getKey(), e.getValue()[0]));
            }
        }
        names = null;
    }

    /** Whether the listing holds more names than its bound: then only {@link #contains} and {@link #directories} answer. */
    boolean big() {
        return names == null;
    }

    /** The names with {ino, mode}; only while not {@link #big}. */
    Map<String, long[]> names() {
        if (names == null) {
            throw new IllegalStateException("a big listing keeps no names");
        }
        return names;
    }

    int size() {
        return names != null ? names.size() : size;
    }

    boolean contains(String name) {
        if (names != null) {
            return names.containsKey(name);
        }
        if (!sorted) {
            Arrays.sort(hashes, 0, size);
            sorted = true;
        }
        return Arrays.binarySearch(hashes, 0, size, hash(name)) >= 0;
    }

    /** A big listing's directory entries; null when they were more than the bound. */
    List<Dir> directories() {
        return dirs;
    }

    /** FNV-1a over the name's chars, then MurmurHash3's finalizer. */
    static long hash(String name) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < name.length(); i++) {
            h = (h ^ name.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }
}
