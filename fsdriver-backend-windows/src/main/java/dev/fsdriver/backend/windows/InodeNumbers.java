package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.WindowsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Stable 64-bit inode numbers from FILE_ID_INFO (volume serial + 128-bit file id).
 *
 * <p>Strategy (numbers stay below 3 * 2^61, where the server uses an inode number as the node id
 * itself; see NodeIds):
 * <ul>
 *   <li>NTFS: the id is the 64-bit MFT reference (48-bit record, 16-bit sequence) with the high
 *       64 bits zero, so the low half is the inode number as is, below {@link #MAPPED_BASE}
 *       (sequence numbers below 0x4000, i.e. nearly always). Hard links share it, as they
 *       should; a deleted and re-used MFT record gets a new sequence number, so a new ino.</li>
 *   <li>Every other id (ReFS and any volume whose ids have a non-zero high half, a file on
 *       another volume than the share root, an MFT reference of 2^62 or more): a persisted map
 *       {@code (serial, idHigh, idLow) -> ino}, numbers handed out from {@link #MAPPED_BASE} up to
 *       {@link #PATH_BASE}, appended to a small file (32-byte records) and reloaded at start, so
 *       numbers survive restarts. The two kinds cannot meet: a direct number is below MAPPED_BASE.</li>
 *   <li>Ids 0 ("not supported") and all-ones ("no unique id", MS-FSCC 2.1.10) cannot identify a
 *       file: the caller passes a path key instead ({@link #forPath}), valid until restart or
 *       rename (FAT and some network file systems only), from {@link #PATH_BASE} up: never a
 *       number of the other kinds, not even one persisted by an earlier run.</li>
 * </ul>
 * Thread-safe: one monitor around the map and the file append.
 */
public final class InodeNumbers implements AutoCloseable {
    public static final long MAPPED_BASE = 1L << 62;
    /** Path keys from here; also the end of the mapped range. The server's own limit is 3 * 2^61. */
    public static final long PATH_BASE = 3L << 61;
    private static final int RECORD = 32;

    private record Key(long serial, long high, long low) {}

    private final long rootSerial;
    private final FileChannel store; // null: in memory only
    private final Map<Key, Long> mapped = new HashMap<>(); // guarded by this
    private final Map<String, Long> byPath = new HashMap<>(); // guarded by this
    private long next = MAPPED_BASE; // guarded by this
    private long nextPathKey = PATH_BASE; // guarded by this

    /**
     * @param rootSerial the share root's volume serial
     * @param storeFile where mapped numbers persist, or null to keep them in memory
     */
    public InodeNumbers(long rootSerial, Path storeFile) {
        this.rootSerial = rootSerial;
        try {
            if (storeFile == null) {
                store = null;
            } else {
                Files.createDirectories(storeFile.toAbsolutePath().getParent());
                store = FileChannel.open(storeFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                // one writer per store: two shares (or servers) appending at the size each saw
                // would overwrite each other's records
                boolean mine;
                try {
                    mine = store.tryLock() != null;
                } catch (OverlappingFileLockException e) {
                    mine = false;
                }
                if (!mine) {
                    store.close();
                    throw new IOException("in use by another share or server");
                }
                load();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("inode map " + storeFile + ": " + e.getMessage(), e);
        }
    }

    /** True if the id cannot identify a file (0 or all ones). */
    public static boolean isUnusable(long idHigh, long idLow) {
        return (idHigh == 0 && idLow == 0) || (idHigh == -1 && idLow == -1) || (idHigh == 0 && idLow == -1);
    }

    /** The inode number for file id {@code (idHigh, idLow)} on volume {@code serial}. */
    public long ino(long serial, long idHigh, long idLow) {
        if (idHigh == 0 && serial == rootSerial && idLow > 0 && idLow < MAPPED_BASE) {
            return idLow;
        }
        Key k = new Key(serial, idHigh, idLow);
        synchronized (this) {
            Long ino = mapped.get(k);
            if (ino == null) {
                if (next >= PATH_BASE) {
                    throw new IllegalStateException("2^61 mapped inode numbers handed out");
                }
                ino = next++;
                mapped.put(k, ino);
                append(k, ino);
            }
            return ino;
        }
    }

    /**
     * The 64-bit file id (on the share root's volume) that {@code ino} was made from, or 0 when
     * it was not made from one directly: a mapped number (a 128-bit id, another volume) or a path
     * key. For opening a file by its id ({@link FileIdLocator}).
     */
    public static long fileIdOf(long ino) {
        return ino > 0 && ino < MAPPED_BASE ? ino : 0;
    }

    /** One file's FileIdInfo query (GetFileInformationByHandleEx on its handle). */
    @FunctionalInterface
    public interface IdQuery {
        Structs.IdInfo query() throws WindowsException;
    }

    /**
     * A query asked at most once, its answer or its failure kept: one handle's FileIdInfo gives
     * both its inode number and its volume serial ({@link VolumeFeatures#timesMove}). One thread.
     */
    public static final class IdOnce implements IdQuery {
        private final IdQuery query;
        private Structs.IdInfo info;
        private WindowsException failure;

        public IdOnce(IdQuery query) {
            this.query = query;
        }

        @Override
        public Structs.IdInfo query() throws WindowsException {
            if (info == null && failure == null) {
                try {
                    info = query.query();
                } catch (WindowsException e) {
                    failure = e;
                }
            }
            if (failure != null) {
                throw failure;
            }
            return info;
        }
    }

    /**
     * The number of one open file: from its FileIdInfo where the volume answered it at open and
     * this file answers with a usable id, else a path key for this file alone. B10: one file's
     * failure (another file system mounted below the share, a filter driver) never turns the
     * volume's other files into path keys; only the share root's answer at open decides that.
     */
    public long forFile(VolumeFeatures features, IdQuery id, String sharePath) {
        if (features.has(Feature.FILE_ID_INFO)) {
            try {
                Structs.IdInfo info = id.query();
                if (!isUnusable(info.fileIdHigh(), info.fileIdLow())) {
                    return ino(info.volumeSerial(), info.fileIdHigh(), info.fileIdLow());
                }
            } catch (WindowsException e) {
                // this file's own answer: a path key for it alone (see above)
            }
        }
        return forPath(sharePath);
    }

    /** A number for a file without a usable id, keyed by its share path (not persisted). */
    public synchronized long forPath(String sharePath) {
        return byPath.computeIfAbsent(sharePath, p -> nextPathKey++);
    }

    private void load() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(RECORD).order(ByteOrder.LITTLE_ENDIAN);
        long pos = 0;
        long size = store.size();
        while (pos + RECORD <= size) {
            b.clear();
            while (b.hasRemaining() && store.read(b, pos + b.position()) > 0) {
                // fill
            }
            Key k = new Key(b.getLong(0), b.getLong(8), b.getLong(16));
            long ino = b.getLong(24);
            mapped.put(k, ino);
            next = Math.max(next, ino + 1);
            pos += RECORD;
        }
        store.truncate(pos); // drop a torn last record
    }

    private void append(Key k, long ino) {
        if (store == null) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(RECORD).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(k.serial()).putLong(k.high()).putLong(k.low()).putLong(ino).flip();
        try {
            long pos = store.size();
            while (b.hasRemaining()) {
                pos += store.write(b, pos);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("inode map append", e);
        }
    }

    @Override
    public synchronized void close() {
        if (store != null) {
            try {
                store.close();
            } catch (IOException e) {
                // nothing to lose: every record was written when handed out
            }
        }
    }
}
