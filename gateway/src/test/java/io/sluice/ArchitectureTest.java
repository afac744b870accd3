package io.sluice;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.netty.channel.ChannelHandler;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package structure of docs/architecture.md ("Packages"), checked on the compiled classes: no cycle between
 * packages, and dependencies only point down the layers, read from the bottom:
 * <ol>
 *   <li>{@code api}: the wire grammar, API errors and plain response writing every feature uses (no handler);</li>
 *   <li>{@code config}, {@code sse} (event-stream encoding), {@code metrics} (the metrics seam);</li>
 *   <li>{@code fanout} (topics, history, per-loop delivery) and {@code backplane} (how events reach it);</li>
 *   <li>the features: {@code auth}, {@code limits}, {@code publish}, {@code stream} (streams and snapshots),
 *       {@code presence}, {@code admin}, {@code dashboard}, {@code demo};</li>
 *   <li>{@code http}: the pipeline, router and the HTTP handlers;</li>
 *   <li>{@code io.sluice}: assembly, bootstrap and lifecycle.</li>
 * </ol>
 */
class ArchitectureTest {
    private static final JavaClasses PRODUCTION = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sluice");

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("io.sluice.(*)..").should().beFreeOfCycles().check(PRODUCTION);
    }

    @Test
    void dependenciesPointDownTheLayers() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Wire").definedBy("io.sluice.api..")
                .layer("Config").definedBy("io.sluice.config..")
                .layer("Encoding").definedBy("io.sluice.sse..")
                .layer("Metrics").definedBy("io.sluice.metrics..")
                .layer("Core").definedBy("io.sluice.fanout..", "io.sluice.backplane..")
                .layer("Features").definedBy("io.sluice.auth..", "io.sluice.limits..", "io.sluice.publish..",
                        "io.sluice.stream..", "io.sluice.presence..", "io.sluice.admin..", "io.sluice.dashboard..",
                        "io.sluice.demo..")
                .layer("Http").definedBy("io.sluice.http..")
                .layer("Server").definedBy("io.sluice")
                .whereLayer("Server").mayNotBeAccessedByAnyLayer()
                .whereLayer("Http").mayOnlyBeAccessedByLayers("Server")
                .whereLayer("Features").mayOnlyBeAccessedByLayers("Http", "Server")
                .whereLayer("Core").mayOnlyBeAccessedByLayers("Features", "Http", "Server")
                .whereLayer("Metrics").mayOnlyBeAccessedByLayers("Core", "Features", "Http", "Server")
                .whereLayer("Encoding").mayOnlyBeAccessedByLayers("Core", "Features", "Http", "Server")
                .whereLayer("Config").mayOnlyBeAccessedByLayers("Encoding", "Metrics", "Core", "Features", "Http",
                        "Server")
                .check(PRODUCTION);
    }

    @Test
    void theWirePackageHoldsNoHandler() {
        noClasses().that().resideInAPackage("io.sluice.api..")
                .should().beAssignableTo(ChannelHandler.class)
                .check(PRODUCTION);
    }
}
