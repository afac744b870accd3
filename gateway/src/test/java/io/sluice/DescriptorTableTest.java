package io.sluice;

import io.netty.util.collection.IntObjectMap;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The descriptor-indexed map behaves as a map: checked against {@link HashMap} over random operations. */
class DescriptorTableTest {
    @Test
    void agreesWithAHashMapOverRandomPutsGetsAndRemovesAcrossGrowth() {
        DescriptorTable<String> table = new DescriptorTable<>(16);
        Map<Integer, String> expected = new HashMap<>();
        Random random = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            int fd = random.nextInt(i < 100_000 ? 5_000 : 70_000); // grows well past its first length
            switch (random.nextInt(3)) {
                case 0 -> assertEquals(expected.put(fd, "v" + i), table.put(fd, "v" + i));
                case 1 -> assertEquals(expected.remove(fd), table.remove(fd));
                default -> assertEquals(expected.get(fd), table.get(fd));
            }
            assertEquals(expected.size(), table.size());
        }
        assertEquals(expected, new HashMap<>(table));
        assertEquals(expected.values().stream().sorted().toList(), table.values().stream().sorted().toList());
    }

    @Test
    void iteratesInDescriptorOrderAndRemovesThroughItsIterators() {
        DescriptorTable<String> table = new DescriptorTable<>(4);
        for (int fd : new int[] {40, 3, 17, 1000}) {
            table.put(fd, "fd" + fd);
        }
        List<Integer> keys = new ArrayList<>();
        for (IntObjectMap.PrimitiveEntry<String> e : table.entries()) {
            keys.add(e.key());
            assertEquals("fd" + e.key(), e.value());
        }
        assertEquals(List.of(3, 17, 40, 1000), keys);
        Iterator<Map.Entry<Integer, String>> it = table.entrySet().iterator();
        it.next();
        it.remove();
        assertThrows(IllegalStateException.class, it::remove);
        assertFalse(table.containsKey(3));
        Iterator<IntObjectMap.PrimitiveEntry<String>> primitive = table.entries().iterator();
        primitive.next();
        primitive.remove();
        assertFalse(table.containsKey(17));
        assertEquals(2, table.size());
        assertEquals(List.of("fd40", "fd1000"), table.values().stream().toList());
        table.clear();
        assertTrue(table.isEmpty());
        assertFalse(table.entrySet().iterator().hasNext());
    }

    @Test
    void refusesWhatIsNoDescriptorAndAnswersAnythingElseAsAbsent() {
        DescriptorTable<String> table = new DescriptorTable<>(16);
        assertThrows(IllegalArgumentException.class, () -> table.put(-1, "x"));
        assertThrows(NullPointerException.class, () -> table.put(3, null));
        assertNull(table.get(-5));
        assertNull(table.get(1 << 30));
        assertNull(table.remove(1 << 30));
        assertNull(table.get("3"));
        assertNull(table.remove((Object) "3"));
        assertEquals(0, table.size());
    }
}
