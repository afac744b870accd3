package io.sluice.dashboard;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HeadlessChromium;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.SseEvent;
import io.sluice.testing.SseTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live dashboard on the management port: the page is self-contained, its SSE feed carries live values, and
 * real headless Chromium (Debian's chromium, driven through Debian's chromedriver) renders non-zero values
 * after publishes, and the presence of a tracked topic. The screenshot is kept as a build artifact in {@code gateway/target/dashboard.png}.
 */
class DashboardTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private GatewayFixture gateway;
    private SseTestClient stream;
    private ScheduledExecutorService publisher;

    @BeforeEach
    void setUp() {
        gateway = GatewayFixture.start("--presence-topics=dash");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (publisher != null) {
            publisher.shutdownNow();
            assertTrue(publisher.awaitTermination(10, TimeUnit.SECONDS));
        }
        if (stream != null) {
            stream.close();
        }
        gateway.close();
    }

    @Test
    void pageIsServedAndLoadsNothingExternal() {
        RawResponse page = HttpTestClient.get(GatewayFixture.HOST, gateway.managementPort(), "/");
        assertEquals(200, page.status());
        assertEquals("text/html; charset=utf-8", page.header("content-type"));
        assertTrue(page.body().contains("new EventSource(\"v1/dashboard/stream\")"), "page reads the gateway's feed");
        HeadlessChromium.assertSelfContained(page.body());
        assertEquals(404, HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/v1/dashboard/stream").status(),
                "the dashboard is on the management port only");
        assertFalse(HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/").body().contains("v1/dashboard/stream"),
                "the public port's / is the demo page in open development mode, never the dashboard");
    }

    @Test
    void feedCarriesLiveValuesAfterPublishes() {
        startTraffic();
        try (SseTestClient feed = SseTestClient.connect(GatewayFixture.HOST, gateway.managementPort(),
                "/v1/dashboard/stream")) {
            assertEquals(200, feed.status());
            assertEquals("text/event-stream; charset=utf-8", feed.header("content-type"));
            SseEvent live = feed.awaitEvent(e -> "sample".equals(e.type()) && e.data().contains("\"connections\":1,")
                    && e.data().contains("{\"topic\":\"dash\",\"streams\":1}")
                    && !e.data().contains("\"publishRate\":0.0") && e.data().contains("\"publishRate\""), DEADLINE);
            assertTrue(live.data().contains("\"deliveryRate\":"), live.data());
            assertTrue(live.data().contains("\"presence\":[{\"topic\":\"dash\",\"connections\":1,\"users\":0,"
                    + "\"anonymous\":1}]"), live.data());
            assertEquals(null, live.id(), "dashboard samples carry no id");
        }
    }

    @Test
    void newFeedStartsWithTheRetainedWindow() {
        List<String> seen;
        try (SseTestClient first = SseTestClient.connect(GatewayFixture.HOST, gateway.managementPort(),
                "/v1/dashboard/stream")) {
            seen = first.awaitEvents(3, DEADLINE).stream().map(SseEvent::data).toList();
        }
        try (SseTestClient second = SseTestClient.connect(GatewayFixture.HOST, gateway.managementPort(),
                "/v1/dashboard/stream")) {
            // the same first samples, byte for byte: the window is replayed before anything new
            assertEquals(seen, second.awaitEvents(3, DEADLINE).stream().map(SseEvent::data).toList());
        }
    }

    @Test
    void chromiumShowsNonZeroLiveValues() {
        try (HeadlessChromium chromium = HeadlessChromium.start()) {
            startTraffic();
            ChromeDriver browser = chromium.driver();
            browser.get("http://" + GatewayFixture.HOST + ":" + gateway.managementPort() + "/");
            Await.until(() -> "live".equals(browser.findElement(By.id("status")).getText())
                            && positive(browser.findElement(By.id("v-connections")).getText())
                            && positive(browser.findElement(By.id("v-publishRate")).getText())
                            && positive(browser.findElement(By.id("v-deliveryRate")).getText())
                            && browser.findElement(By.id("top-topics")).getText().contains("dash")
                            && browser.findElement(By.id("presence")).getText().matches("dash 1 0 1"),
                    DEADLINE, () -> "dashboard values: status=" + browser.findElement(By.id("status")).getText()
                            + " connections=" + browser.findElement(By.id("v-connections")).getText()
                            + " publishRate=" + browser.findElement(By.id("v-publishRate")).getText()
                            + " deliveryRate=" + browser.findElement(By.id("v-deliveryRate")).getText()
                            + " presence=" + browser.findElement(By.id("presence")).getText());
            chromium.screenshot("dashboard.png");
        }
    }

    /** One stream on topic {@code dash} and ten publishes a second to it, until the test ends. */
    private void startTraffic() {
        stream = gateway.stream("/v1/events/stream?topic=dash", Map.of());
        stream.awaitEvent(e -> "connected".equals(e.type()), DEADLINE);
        publisher = Executors.newSingleThreadScheduledExecutor();
        publisher.scheduleAtFixedRate(() -> gateway.publishJson("{\"topic\":\"dash\",\"data\":{\"n\":1}}"),
                0, 100, TimeUnit.MILLISECONDS);
    }

    private static boolean positive(String shown) {
        if (shown.isEmpty() || "–".equals(shown)) {
            return false;
        }
        String number = shown.replaceAll("[kM]$", "");
        return Double.parseDouble(number) > 0;
    }
}
