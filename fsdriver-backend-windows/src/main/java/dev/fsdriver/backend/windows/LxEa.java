package dev.fsdriver.backend.windows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * WSL-compatible ownership and mode in NTFS extended attributes, byte for byte what drvfs
 * (-o metadata) writes: $LXUID, $LXGID and $LXMOD hold a little-endian u32 each ($LXMOD is the
 * whole st_mode, S_IFMT included); $LXDEV holds major and minor as two u32.
 *
 * <p>Also the NT containers: FILE_FULL_EA_INFORMATION (NtSetEaFile, NtQueryEaFile output)
 * <pre>
 *   ULONG NextEntryOffset; UCHAR Flags; UCHAR EaNameLength; USHORT EaValueLength;
 *   CHAR EaName[EaNameLength + 1 (NUL)]; then the value; entries 4-byte aligned
 * </pre>
 * and FILE_GET_EA_INFORMATION (NtQueryEaFile's list of wanted names)
 * <pre>
 *   ULONG NextEntryOffset; UCHAR EaNameLength; CHAR EaName[EaNameLength + 1]
 * </pre>
 */
public final class LxEa {
    public static final String LXUID = "$LXUID";
    public static final String LXGID = "$LXGID";
    public static final String LXMOD = "$LXMOD";
    public static final String LXDEV = "$LXDEV";

    /** The metadata found on a file; absent values are null. */
    public record Metadata(Integer uid, Integer gid, Integer mode, Long dev) {
        public static final Metadata NONE = new Metadata(null, null, null, null);

        public boolean isEmpty() {
            return uid == null && gid == null && mode == null && dev == null;
        }
    }

    private LxEa() {}

    /** The EA values (name -> bytes) to write for the non-null parts of {@code m}. */
    public static Map<String, byte[]> values(Metadata m) {
        Map<String, byte[]> v = new LinkedHashMap<>();
        if (m.uid() != null) {
            v.put(LXUID, u32(m.uid()));
        }
        if (m.gid() != null) {
            v.put(LXGID, u32(m.gid()));
        }
        if (m.mode() != null) {
            v.put(LXMOD, u32(m.mode()));
        }
        if (m.dev() != null) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt((int) (m.dev() >>> 32)).putInt((int) (long) m.dev());
            v.put(LXDEV, b.array());
        }
        return v;
    }

    /** Metadata from decoded EAs (names compared case-insensitively: NTFS stores them upper-case). */
    public static Metadata fromValues(Map<String, byte[]> eas) {
        Integer uid = null;
        Integer gid = null;
        Integer mode = null;
        Long dev = null;
        for (Map.Entry<String, byte[]> e : eas.entrySet()) {
            byte[] v = e.getValue();
            ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
            switch (e.getKey().toUpperCase(Locale.ROOT)) {
                case LXUID -> uid = v.length >= 4 ? b.getInt(0) : null;
                case LXGID -> gid = v.length >= 4 ? b.getInt(0) : null;
                case LXMOD -> mode = v.length >= 4 ? b.getInt(0) : null;
                case LXDEV -> dev = v.length >= 8 ? ((long) b.getInt(0) << 32) | Integer.toUnsignedLong(b.getInt(4)) : null;
                default -> { }
            }
        }
        return new Metadata(uid, gid, mode, dev);
    }

    /** FILE_FULL_EA_INFORMATION chain for {@code eas} (an empty value deletes the EA in NtSetEaFile). */
    public static byte[] encodeFull(Map<String, byte[]> eas) {
        int total = 0;
        int i = 0;
        for (Map.Entry<String, byte[]> e : eas.entrySet()) {
            int size = 8 + ascii(e.getKey()).length + 1 + e.getValue().length;
            total += ++i < eas.size() ? align4(size) : size;
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        int off = 0;
        i = 0;
        for (Map.Entry<String, byte[]> e : eas.entrySet()) {
            byte[] name = ascii(e.getKey());
            byte[] value = e.getValue();
            int size = 8 + name.length + 1 + value.length;
            boolean last = ++i == eas.size();
            b.putInt(off, last ? 0 : align4(size));
            b.put(off + 4, (byte) 0);
            b.put(off + 5, (byte) name.length);
            b.putShort(off + 6, (short) value.length);
            b.put(off + 8, name);
            b.put(off + 8 + name.length, (byte) 0);
            b.put(off + 9 + name.length, value);
            off += align4(size);
        }
        return b.array();
    }

    /** Decodes a FILE_FULL_EA_INFORMATION chain in the first {@code length} bytes of {@code buf}. */
    public static Map<String, byte[]> decodeFull(ByteBuffer buf, int length) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        Map<String, byte[]> out = new LinkedHashMap<>();
        int off = 0;
        while (length > 0) {
            if (off + 8 > length) {
                throw new IllegalArgumentException("EA record at " + off + " exceeds " + length);
            }
            int next = b.getInt(off);
            int nameLen = Byte.toUnsignedInt(b.get(off + 5));
            int valueLen = Short.toUnsignedInt(b.getShort(off + 6));
            if (off + 9 + nameLen + valueLen > length) {
                throw new IllegalArgumentException("EA record at " + off + " exceeds " + length);
            }
            byte[] name = new byte[nameLen];
            b.get(off + 8, name);
            byte[] value = new byte[valueLen];
            b.get(off + 9 + nameLen, value);
            out.put(new String(name, StandardCharsets.US_ASCII), value);
            if (next == 0) {
                break;
            }
            if (next < 0 || (next & 3) != 0) {
                throw new IllegalArgumentException("bad NextEntryOffset " + next);
            }
            off += next;
        }
        return out;
    }

    /** FILE_GET_EA_INFORMATION chain asking for {@code names}. */
    public static byte[] encodeGetList(String... names) {
        int total = 0;
        for (int i = 0; i < names.length; i++) {
            int size = 5 + ascii(names[i]).length + 1;
            total += i + 1 < names.length ? align4(size) : size;
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        int off = 0;
        for (int i = 0; i < names.length; i++) {
            byte[] name = ascii(names[i]);
            int size = 5 + name.length + 1;
            b.putInt(off, i + 1 < names.length ? align4(size) : 0);
            b.put(off + 4, (byte) name.length);
            b.put(off + 5, name);
            off += align4(size);
        }
        return b.array();
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static int align4(int n) {
        return (n + 3) & ~3;
    }
}
