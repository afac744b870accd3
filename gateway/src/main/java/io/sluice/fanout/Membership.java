package io.sluice.fanout;

/** A subscriber's slot in one {@link SubscriberList}; lets removal be O(1). Owned by one event loop. */
public final class Membership {
    final Subscriber subscriber;
    int index;

    Membership(Subscriber subscriber) {
        this.subscriber = subscriber;
    }
}
