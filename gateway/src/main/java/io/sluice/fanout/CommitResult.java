package io.sluice.fanout;

/**
 * What a commit did: the ids assigned, in batch order, and the deliveries queued on this node (streams
 * subscribed to each event's topic at commit, before type filters).
 */
public record CommitResult(long[] ids, int sent) {
}
