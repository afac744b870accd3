package io.sluice.demo;

import io.sluice.testing.Await;
import io.sluice.testing.GatewayFixture;
import io.sluice.testing.HeadlessChromium;
import io.sluice.testing.HttpTestClient;
import io.sluice.testing.RawResponse;
import io.sluice.testing.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The development demo page on the public port: served at {@code /} and {@code /demo} only in open development mode,
 * self-contained, and working in real headless Chromium: the {@code demo/clock} ticks arrive, a message published
 * in one window arrives in a second one, and a task's {@code progress} events drive the progress bar there. The
 * screenshot of the second window is kept in {@code gateway/target/demo.png}.
 */
class DemoPageTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final List<String> PATHS = List.of("/", "/demo");

    private GatewayFixture gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void servedAtRootAndDemoInOpenModeLoadingNothingExternal() {
        gateway = GatewayFixture.start();
        RawResponse root = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), "/");
        for (String path : PATHS) {
            RawResponse page = HttpTestClient.get(GatewayFixture.HOST, gateway.port(), path);
            assertEquals(200, page.status(), path);
            assertEquals("text/html; charset=utf-8", page.header("Content-Type"), path);
            assertEquals(root.body(), page.body(), "one page at both paths");
            assertTrue(page.body().contains("import { SluiceClient } from './v1/client.js';"),
                    "the page uses the client this gateway serves");
            HeadlessChromium.assertSelfContained(page.body());
        }
    }

    @Test
    void notFoundOnceAnyAuthIsConfigured() {
        for (String auth : List.of("--jwt-secret=" + TestTokens.SECRET, "--publish-keys=" + TestTokens.PUBLISH_KEY)) {
            try (GatewayFixture secured = GatewayFixture.start(auth)) {
                for (String path : PATHS) {
                    RawResponse page = HttpTestClient.get(GatewayFixture.HOST, secured.port(), path);
                    assertEquals(404, page.status(), () -> auth + " " + path);
                    assertEquals("{\"error\":{\"code\":\"not_found\",\"message\":\"no endpoint at " + path + "\"}}",
                            page.body(), "the same answer as any unknown path");
                }
            }
        }
    }

    @Test
    void chromiumShowsTheClockAndCarriesPublishesAndProgressToASecondWindow() {
        gateway = GatewayFixture.start("--dev-clock=true");
        String base = "http://" + GatewayFixture.HOST + ":" + gateway.port();
        try (HeadlessChromium chromium = HeadlessChromium.start()) {
            ChromeDriver browser = chromium.driver();
            browser.get(base + "/demo");
            String first = browser.getWindowHandle();
            browser.switchTo().newWindow(WindowType.WINDOW).get(base + "/");
            String second = browser.getWindowHandle();
            for (String window : List.of(first, second)) {
                browser.switchTo().window(window);
                Await.until(() -> "open".equals(text(browser, "status"))
                                && Integer.parseInt(text(browser, "clock-ticks")) >= 2
                                && !"–".equals(text(browser, "clock-time")),
                        DEADLINE, () -> "an open stream and ticks, saw " + text(browser, "status") + " and "
                                + text(browser, "clock-ticks") + " ticks");
            }

            browser.switchTo().window(first);
            String message = "<b>hello</b> from the first window " + System.nanoTime();
            browser.findElement(By.id("data")).sendKeys(message);
            browser.findElement(By.cssSelector("#publish-form button")).click();
            Await.until(() -> text(browser, "publish-result").startsWith("published as"), DEADLINE,
                    () -> "the publish accepted, saw " + text(browser, "publish-result"));
            browser.switchTo().window(second);
            // shown as text, never as markup: it is anyone's input
            Await.until(() -> text(browser, "messages").contains("chat:message") && text(browser, "messages")
                    .contains(message), DEADLINE, () -> "the message in the second window, saw " + text(browser, "messages"));

            browser.switchTo().window(first);
            browser.findElement(By.id("task-start")).click();
            browser.switchTo().window(second);
            Await.until(() -> text(browser, "task-label").endsWith("completed after 11 progress events")
                            && "100".equals(browser.findElement(By.id("task-bar")).getDomProperty("value")),
                    DEADLINE, () -> "the bar at 100 after 11 progress events, saw "
                            + browser.findElement(By.id("task-bar")).getDomProperty("value") + " and '"
                            + text(browser, "task-label") + "'");
            chromium.screenshot("demo.png");
        }
    }

    private static String text(ChromeDriver browser, String id) {
        return browser.findElement(By.id(id)).getText();
    }
}
