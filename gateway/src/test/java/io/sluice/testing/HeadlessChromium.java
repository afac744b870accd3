package io.sluice.testing;

import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real headless Chromium for page tests: Debian's {@code chromium} driven through Debian's {@code chromedriver}
 * (selenium never downloads a browser), on a free loopback port. Missing either program skips the test, or fails
 * it under {@code CI=true} ({@link ExternalTool}). {@link #close()} quits the browser and stops the driver. One test
 * thread.
 */
public final class HeadlessChromium implements AutoCloseable {
    /** Any absolute URL in a src or href attribute, or a url() in CSS: a self-contained page loads none. */
    private static final Pattern EXTERNAL = Pattern.compile(
            "(src|href)\\s*=\\s*[\"']?(https?:)?//|url\\(\\s*[\"']?https?:");
    /** Below this a PNG of a rendered page is blank or nearly so. */
    private static final long MIN_SCREENSHOT_BYTES = 10_000;

    private final ChromeDriverService service;
    private final ChromeDriver driver;

    private HeadlessChromium(ChromeDriverService service, ChromeDriver driver) {
        this.service = service;
        this.driver = driver;
    }

    /**
     * Starts the browser. Background windows keep full-speed timers and rendering, so a test may drive one window
     * while another reacts.
     */
    public static HeadlessChromium start() {
        Path chromium = ExternalTool.require("chromium", "chromium");
        Path chromedriver = ExternalTool.require("chromedriver", "chromium-driver");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1400,1000", "--disable-background-timer-throttling",
                "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
        try {
            return new HeadlessChromium(service, new ChromeDriver(service, options));
        } catch (RuntimeException e) {
            service.stop();
            throw e;
        }
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** Runs {@code script} in the current window (as a function body: {@code return} gives its value). */
    public Object script(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /**
     * Saves a screenshot of the current window as {@code target/<fileName>} (Maven runs tests in the module's
     * directory, so it is kept as a build artifact) and checks that it shows something.
     */
    public Path screenshot(String fileName) {
        Path shot = Path.of("target", fileName);
        try {
            Files.createDirectories(shot.getParent());
            Files.write(shot, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
            assertTrue(Files.size(shot) > MIN_SCREENSHOT_BYTES, "screenshot " + shot.toAbsolutePath() + " is nearly empty");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return shot;
    }

    /** Fails when {@code html} references anything outside its own origin (a CDN script, font or style). */
    public static void assertSelfContained(String html) {
        assertFalse(EXTERNAL.matcher(html).find(), "page references an external resource");
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
        }
    }
}
