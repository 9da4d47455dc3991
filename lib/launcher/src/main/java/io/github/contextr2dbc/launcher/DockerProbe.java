package io.github.contextr2dbc.launcher;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Asks Testcontainers whether a Docker engine answers, without requiring Testcontainers on the class path. */
final class DockerProbe {

    private static final Logger log = LoggerFactory.getLogger(DockerProbe.class);

    private DockerProbe() {
    }

    /**
     * Tells whether Testcontainers is on the class path and a Docker engine answers.
     *
     * @return {@code false} on any failure, including a missing Testcontainers
     */
    static boolean dockerAvailable() {
        try {
            return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable e) { // NoClassDefFoundError without Testcontainers, anything from a broken engine
            log.debug("No Docker engine for Testcontainers", e);
            return false;
        }
    }
}
