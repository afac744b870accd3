package io.sluice.stream;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The {@code connected} event's data, written by hand, is byte for byte what jackson writes, escapes included. */
class ConnectedEventTest {
    @Test
    void connectedJsonIsJacksonsText() {
        List<List<String>> topicLists = List.of(List.of("orders", "broadcast"),
                List.of("a-Z_0.9~:/@", "user/alice@example.com", "broadcast"), List.of("broadcast"),
                List.of("needs \"escaping\"\\", "tab\there", "é", "broadcast"));
        for (List<String> topics : topicLists) {
            assertEquals(StreamService.connectedJsonByJackson("1x9k2-1", topics),
                    StreamService.connectedJson("1x9k2-1", topics), topics.toString());
        }
    }
}
