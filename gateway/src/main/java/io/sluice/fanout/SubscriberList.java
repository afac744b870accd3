package io.sluice.fanout;

import java.util.Arrays;

/**
 * The subscribers of one topic on one event loop: a dense array walked by fan-out. Order is not kept;
 * removal swaps the last member into the hole. Confined to its event loop: no synchronisation.
 *
 * <p>Walk it from the end ({@code for i = size-1 .. 0}): a removal at {@code i} during the walk then moves an
 * already-visited member into {@code i} and nothing is skipped or visited twice, and the walk copies nothing.
 *
 * <p>Also presence's list of the streams that watch a tracked topic on one loop.
 */
public final class SubscriberList {
    private Membership[] members = new Membership[4];
    private int size;

    public Membership add(Subscriber subscriber) {
        if (size == members.length) {
            members = Arrays.copyOf(members, size * 2);
        }
        Membership m = new Membership(subscriber);
        m.index = size;
        members[size++] = m;
        return m;
    }

    /** Removes {@code m}; nothing if it is no longer in the list. */
    public void remove(Membership m) {
        int i = m.index;
        if (i < 0 || i >= size || members[i] != m) {
            return;
        }
        Membership last = members[--size];
        members[i] = last;
        last.index = i;
        members[size] = null;
        m.index = -1;
        if (size == 0 && members.length > 64) {
            members = new Membership[4];
        }
    }

    public int size() {
        return size;
    }

    public Subscriber get(int i) {
        return members[i].subscriber;
    }
}
