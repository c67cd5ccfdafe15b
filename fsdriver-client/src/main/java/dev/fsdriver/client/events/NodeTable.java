package dev.fsdriver.client.events;

import com.carrotsearch.hppc.LongObjectHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Node id -> value for {@link KernelView}: HPPC tables in stripes, each under its own monitor. A
 * {@code ConcurrentHashMap<Long, V>} cost an entry object and a boxed id per node, ~60 bytes; a
 * slot here costs 12 bytes at 90% load (issue 16: bytes per node).
 *
 * <p>Thread safety: each stripe is guarded by its table's monitor; {@link #compute} runs its
 * function under it, so updates of one id are serialized as under {@code ConcurrentHashMap.compute}.
 * The function may take other locks (the kernel view's name maps), but nothing may ask this table
 * for an id while holding one of those.
 */
final class NodeTable<V> {
    private static final int STRIPES = 32;
    private final LongObjectHashMap<V>[] stripes;

    @SuppressWarnings("unchecked")
    NodeTable() {
        stripes = new LongObjectHashMap[STRIPES];
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new LongObjectHashMap<>(16, 0.9);
        }
    }

    private LongObjectHashMap<V> stripe(long id) {
        return stripes[(int) (id ^ id >>> 32) & (STRIPES - 1)];
    }

    V get(long id) {
        LongObjectHashMap<V> m = stripe(id);
        synchronized (m) {
            return m.get(id);
        }
    }

    void put(long id, V value) {
        LongObjectHashMap<V> m = stripe(id);
        synchronized (m) {
            m.put(id, value);
        }
    }

    /**
     * The value of {@code id} becomes {@code f}'s answer given the present one (null: none); a null
     * answer removes it. Returns the answer.
     */
    V compute(long id, Function<V, V> f) {
        LongObjectHashMap<V> m = stripe(id);
        synchronized (m) {
            V had = m.get(id);
            V now = f.apply(had);
            if (now == null) {
                if (had != null) {
                    m.remove(id);
                }
            } else if (now != had) {
                m.put(id, now);
            }
            return now;
        }
    }

    /** A snapshot of the values, stripe by stripe. */
    List<V> values() {
        List<V> out = new ArrayList<>();
        for (LongObjectHashMap<V> m : stripes) {
            synchronized (m) {
                for (var c : m.values()) {
                    out.add(c.value);
                }
            }
        }
        return out;
    }

    int size() {
        int n = 0;
        for (LongObjectHashMap<V> m : stripes) {
            synchronized (m) {
                n += m.size();
            }
        }
        return n;
    }
}
