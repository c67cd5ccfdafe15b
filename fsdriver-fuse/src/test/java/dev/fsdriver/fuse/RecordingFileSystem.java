package dev.fsdriver.fuse;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Remembers the caller pid of LOOKUPs by name (test helper for FuseRequest.pid()). */
final class RecordingFileSystem {
    private static final Map<String, Integer> PIDS = new ConcurrentHashMap<>();
    private static final Map<String, Integer> UIDS = new ConcurrentHashMap<>();

    private RecordingFileSystem() {}

    static void record(String name, FuseRequest req) {
        PIDS.put(name, req.pid());
        UIDS.put(name, req.uid());
    }

    static int lastLookupUid(String name) {
        return UIDS.getOrDefault(name, -1);
    }

    static int lastLookupPid(String name) {
        return PIDS.getOrDefault(name, 0);
    }
}
