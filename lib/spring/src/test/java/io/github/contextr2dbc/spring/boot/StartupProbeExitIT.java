package io.github.contextr2dbc.spring.boot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Spring Boot application, in its own JVM, whose database does not answer the startup probe: the
 * process must exit with a non-zero status and Boot's failure report, and its web server must never start.
 */
class StartupProbeExitIT {

    @Test
    void aDatabaseThatDoesNotAnswerFailsTheStartupWithANonZeroExit(@TempDir Path folder)
            throws IOException, InterruptedException {
        Path output = folder.resolve("output.txt");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                ProbedApplication.class.getName(),
                "--context-r2dbc.databases.main.url=r2dbc:postgresql://postgres@127.0.0.1:1/nothing",
                "--context-r2dbc.startup-probe.enabled=true",
                "--context-r2dbc.startup-probe.timeout=5s",
                "--server.port=0",
                "--management.endpoints.access.default=none"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String printed = Files.readString(output, StandardCharsets.UTF_8);
        assertThat(exited).as("the process ended by itself; output:%n%s", printed).isTrue();
        assertThat(process.exitValue()).as("exit status; output:%n%s", printed).isNotZero();
        assertThat(printed)
                .contains("APPLICATION FAILED TO START")
                .contains("Startup probe: database 'main' at 127.0.0.1:1 failed SELECT 1")
                .contains("context-r2dbc.databases.main.url")
                .doesNotContain("Netty started");
    }

    /** The application the test starts in a JVM of its own. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class ProbedApplication {

        public static void main(String[] args) {
            SpringApplication.run(ProbedApplication.class, args);
        }
    }
}
