package io.sluice.fanout;

import io.sluice.api.Glob;

import java.util.Arrays;
import java.util.List;

/**
 * The {@code types} filter of a stream: comma-separated globs on the event type, {@code *} matching any run
 * of characters (including none). Immutable; {@link #ALL} accepts every type.
 */
public final class TypeFilter {
    public static final TypeFilter ALL = new TypeFilter(new String[0]);

    private final String[] globs;

    private TypeFilter(String[] globs) {
        this.globs = globs;
    }

    /** @param globs validated globs; an empty list means every type */
    public static TypeFilter of(List<String> globs) {
        if (globs.isEmpty()) {
            return ALL;
        }
        return new TypeFilter(globs.toArray(new String[0]));
    }

    public boolean acceptsAll() {
        return globs.length == 0;
    }

    /** Allocation-free; called on the fan-out hot path for every filtered subscriber. */
    public boolean matches(String type) {
        if (globs.length == 0) {
            return true;
        }
        for (String glob : globs) {
            if (Glob.matches(glob, type)) {
                return true;
            }
        }
        return false;
    }

    /** Filters with the same globs in the same order are equal (they accept the same types). */
    @Override
    public boolean equals(Object o) {
        return o instanceof TypeFilter other && Arrays.equals(globs, other.globs);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(globs);
    }
}
