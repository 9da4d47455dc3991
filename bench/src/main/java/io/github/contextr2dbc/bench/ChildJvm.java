package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started by {@link BenchRound} (or by the HTTP comparison for its servers): this JVM's Java and class
 * path, the pinned flags of {@link JvmFlags}, this JVM's bench system properties (quick mode, acquire-timeout
 * mode), then the caller's.
 */
final class ChildJvm {

    private ChildJvm() {
    }

    /** The command line of a JVM running {@code main} with {@code properties} ({@code -D…}) and {@code args}. */
    static List<String> command(List<String> properties, Class<?> main, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JvmFlags.PINNED);
        for (String name : List.of(BenchSettings.QUICK_PROPERTY, BenchSettings.ACQUIRE_TIMEOUT_PROPERTY)) {
            String value = System.getProperty(name);
            if (value != null) {
                command.add("-D" + name + "=" + value);
            }
        }
        command.addAll(properties);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(args);
        return command;
    }

    /** Starts the JVM, its output and errors going to this JVM's. */
    static Process start(List<String> properties, Class<?> main, List<String> args) {
        try {
            return new ProcessBuilder(command(properties, main, args)).inheritIO().start();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot start a JVM for " + main.getName(), e);
        }
    }

    /** Runs the JVM to its end (at most {@code timeoutMinutes}); fails if it fails. */
    static void run(List<String> properties, Class<?> main, List<String> args, long timeoutMinutes) {
        Process process = start(properties, main, args);
        try {
            if (!process.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(main.getName() + " did not end within " + timeoutMinutes + " min");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(main.getName() + " " + args + " failed: exit " + process.exitValue());
        }
    }
}
