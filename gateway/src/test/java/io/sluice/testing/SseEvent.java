package io.sluice.testing;

/**
 * One event dispatched by {@link SseTestClient}, as a WHATWG EventSource would dispatch it.
 *
 * @param id the value of the {@code id} field seen in this event's block of lines, or {@code null} if the block
 *     had no (accepted) {@code id} field; an {@code id} containing NUL is ignored, as the spec says
 * @param lastEventId the event source's last event ID string when this event was dispatched: the newest
 *     accepted {@code id} of this or any earlier block ({@code ""} if there never was one). This is what a
 *     browser would send as {@code Last-Event-ID} on reconnect
 * @param type the event type; {@code "message"} when the block had no or an empty {@code event} field
 * @param data the data buffer with its one trailing LF removed (lines joined by LF)
 */
public record SseEvent(String id, String lastEventId, String type, String data) {
}
