package io.sluice;

import io.netty.util.collection.IntObjectMap;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * An {@link IntObjectMap} for file descriptors: an array indexed by the key, so {@link #put}, {@link #get} and
 * {@link #remove} cost O(1) whatever the number of entries. Descriptors are small dense non-negative integers (the
 * kernel hands out the lowest free one), so the array is as long as the highest descriptor seen, rounded up to a power
 * of two: about 8 bytes per descriptor the process may hold ({@code ulimit -n} bounds it). It never shrinks.
 *
 * <p>Why: Netty's {@code IntObjectHashMap}, which its epoll event loop keeps its channels in, hashes an int to itself
 * and probes linearly; dense descriptors fill one contiguous run of slots and each removal walks to the end of that
 * run, so closing a connection costs O(open connections) (bench/ANALYSIS.md, "New streams, warm").
 * {@link EpollHandlerFactory} puts one of these in its place.
 *
 * <p>Not thread-safe, like the map it replaces: one event loop's thread only. Null values are refused.
 */
public final class DescriptorTable<V> extends AbstractMap<Integer, V> implements IntObjectMap<V> {
    private Object[] slots;
    private int size;
    private final EntrySet entrySet = new EntrySet();

    public DescriptorTable(int initialCapacity) {
        slots = new Object[Math.max(16, Integer.highestOneBit(Math.max(1, initialCapacity - 1)) << 1)];
    }

    @Override
    @SuppressWarnings("unchecked")
    public V get(int key) {
        return key >= 0 && key < slots.length ? (V) slots[key] : null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public V put(int key, V value) {
        Objects.requireNonNull(value, "value");
        if (key < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + key);
        }
        if (key >= slots.length) {
            slots = Arrays.copyOf(slots, Math.max(slots.length * 2, Integer.highestOneBit(key) << 1));
        }
        V previous = (V) slots[key];
        slots[key] = value;
        if (previous == null) {
            size++;
        }
        return previous;
    }

    @Override
    @SuppressWarnings("unchecked")
    public V remove(int key) {
        if (key < 0 || key >= slots.length) {
            return null;
        }
        V previous = (V) slots[key];
        if (previous != null) {
            slots[key] = null;
            size--;
        }
        return previous;
    }

    @Override
    public boolean containsKey(int key) {
        return get(key) != null;
    }

    @Override
    public Iterable<PrimitiveEntry<V>> entries() {
        return () -> new Iterator<>() {
            private final Iterator<Map.Entry<Integer, V>> entries = entrySet.iterator();

            @Override
            public boolean hasNext() {
                return entries.hasNext();
            }

            @Override
            public PrimitiveEntry<V> next() {
                Map.Entry<Integer, V> e = entries.next();
                int key = e.getKey();
                return new PrimitiveEntry<>() {
                    @Override
                    public int key() {
                        return key;
                    }

                    @Override
                    public V value() {
                        return get(key);
                    }

                    @Override
                    public void setValue(V value) {
                        put(key, value);
                    }
                };
            }

            @Override
            public void remove() {
                entries.remove();
            }
        };
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public V get(Object key) {
        return key instanceof Integer k ? get(k.intValue()) : null;
    }

    @Override
    public V put(Integer key, V value) {
        return put(key.intValue(), value);
    }

    @Override
    public V remove(Object key) {
        return key instanceof Integer k ? remove(k.intValue()) : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    @Override
    public void clear() {
        Arrays.fill(slots, null);
        size = 0;
    }

    @Override
    public Set<Map.Entry<Integer, V>> entrySet() {
        return entrySet;
    }

    /** The entries in descriptor order; its iterator supports {@code remove}. */
    private final class EntrySet extends AbstractSet<Map.Entry<Integer, V>> {
        @Override
        public int size() {
            return size;
        }

        @Override
        public Iterator<Map.Entry<Integer, V>> iterator() {
            return new Iterator<>() {
                private int next = advance(0);
                private int last = -1;

                private int advance(int from) {
                    int i = from;
                    while (i < slots.length && slots[i] == null) {
                        i++;
                    }
                    return i;
                }

                @Override
                public boolean hasNext() {
                    return next < slots.length;
                }

                @Override
                @SuppressWarnings("unchecked")
                public Map.Entry<Integer, V> next() {
                    if (next >= slots.length) {
                        throw new NoSuchElementException();
                    }
                    last = next;
                    next = advance(next + 1);
                    return new SimpleEntry<>(last, (V) slots[last]);
                }

                @Override
                public void remove() {
                    if (last < 0 || slots[last] == null) {
                        throw new IllegalStateException();
                    }
                    DescriptorTable.this.remove(last);
                    last = -1;
                }
            };
        }
    }
}
