package dev.fsdriver.client.events;

import com.carrotsearch.hppc.ObjectObjectHashMap;
import com.carrotsearch.hppc.cursors.ObjectObjectCursor;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * One directory's names -> values for {@link KernelView}: an HPPC open-addressing map, so no entry
 * object per name (a {@code ConcurrentHashMap}'s costs ~30 bytes more per name: issue 16's bytes
 * per node).
 *
 * <p>Thread safety: every method holds this object's monitor, and runs no caller's code under it
 * but {@link #removeIf}'s pure check: {@link #forEach} copies the entries first, as its callers tell the kernel of each (a FUSE
 * notification can wait for a request that needs this directory). The kernel view calls in here
 * under its node table's locks, never the other way round.
 */
final class ChildNames<V> {
    /** Below this many names a map is never made smaller. */
    static final int SHRINK_FROM = 1024;

    private ObjectObjectHashMap<String, V> map = new ObjectObjectHashMap<>(4);
    /** The most names since the map was made: an open-addressing map keeps its arrays when emptied. */
    private int peak;

    synchronized V get(String name) {
        return map.get(name);
    }

    /** Returns the value {@code name} had, or null. */
    synchronized V put(String name, V value) {
        V had = map.put(Objects.requireNonNull(name), Objects.requireNonNull(value));
        peak = Math.max(peak, map.size());
        return had;
    }

    synchronized V remove(String name) {
        V had = map.remove(name);
        shrinkIfSparse();
        return had;
    }

    /** Removes {@code name} if its value passes {@code test} (a pure check: it runs under the lock). */
    synchronized void removeIf(String name, Predicate<V> test) {
        V v = map.get(name);
        if (v != null && test.test(v)) {
            map.remove(name);
            shrinkIfSparse();
        }
    }

    /**
     * A big directory whose names the kernel forgot while it kept the directory (memory pressure)
     * gives its arrays back once under a quarter of them is used (~17 MB for 1,000,000 names).
     */
    private void shrinkIfSparse() {
        if (peak >= SHRINK_FROM && map.size() < peak / 4) {
            ObjectObjectHashMap<String, V> smaller = new ObjectObjectHashMap<>(map.size());
            smaller.putAll(map);
            map = smaller;
            peak = map.size();
        }
    }

    synchronized int size() {
        return map.size();
    }

    /** The slots the map's arrays have (tests: that a sparse map was made smaller). */
    synchronized int slots() {
        return map.keys.length;
    }

    /**
     * {@code action} for each entry there was when called, outside the lock; weakly consistent as
     * a concurrent map's iteration is: an entry changed meanwhile may be given as it was. A copy
     * of a 1,000,000-name directory costs ~8 MB while it lasts (a big directory's resync).
     */
    void forEach(BiConsumer<String, V> action) {
        String[] names;
        Object[] values;
        synchronized (this) {
            names = new String[map.size()];
            values = new Object[names.length];
            int i = 0;
            for (ObjectObjectCursor<String, V> c : map) {
                names[i] = c.key;
                values[i++] = c.value;
            }
        }
        for (int i = 0; i < names.length; i++) {
            @SuppressWarnings("unchecked")
            V v = (V) values[i];
            action.accept(names[i], v);
        }
    }
}
