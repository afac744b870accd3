package io.sluice.fanout;

/**
 * Where a new stream starts reading.
 *
 * @param afterId send every matching event with an id above this; negative for live events only
 * @param window true for a {@code limit} replay: the stream asked for what is retained, so events evicted
 *               before it connected are not owed to it (a Last-Event-ID resume is owed every later event)
 */
public record ReplayStart(long afterId, boolean window) {
    public static final ReplayStart LIVE = new ReplayStart(-1, false);

    /** Resume after the client's last event id. */
    public static ReplayStart after(long lastEventId) {
        return new ReplayStart(lastEventId, false);
    }

    /** Replay the newest retained events, starting above {@code cursor}. */
    public static ReplayStart newest(long cursor) {
        return cursor < 0 ? LIVE : new ReplayStart(cursor, true);
    }
}
