package io.github.contextr2dbc.launcher;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs external programs in one working folder, appending their output to a log file (or discarding it),
 * with a bounded wait. Environment variables starting with {@code PG} are removed so that a developer's
 * {@code PGHOST}, {@code PGDATA} or {@code PGPORT} cannot redirect the launcher.
 */
final class CommandRunner {

    private static final File NULL_DEVICE = new File("/dev/null");

    private final Path workDir;
    private final Path logFile;

    private CommandRunner(Path workDir, Path logFile) {
        this.workDir = workDir;
        this.logFile = logFile;
    }

    /**
     * A runner that appends every command line and its output to a log file.
     *
     * @param workDir the working folder of the programs (must be readable by the user they run as)
     * @param logFile the log file
     * @return the runner
     */
    static CommandRunner logging(Path workDir, Path logFile) {
        return new CommandRunner(workDir, logFile);
    }

    /**
     * A runner that discards the programs' output.
     *
     * @param workDir the working folder of the programs
     * @return the runner
     */
    static CommandRunner quiet(Path workDir) {
        return new CommandRunner(workDir, null);
    }

    /**
     * Returns the log file.
     *
     * @return the log file, or {@code null} for a quiet runner
     */
    Path logFile() {
        return logFile;
    }

    /**
     * Runs a program and returns its exit code.
     *
     * @param timeout how long to wait
     * @param command the program and its arguments
     * @return the exit code
     * @throws IllegalStateException if it cannot be started or does not end in time (it is then killed)
     */
    int exitCode(Duration timeout, List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(NULL_DEVICE));
        builder.environment().keySet().removeIf(name -> name.startsWith("PG"));
        if (logFile == null) {
            builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        } else {
            note("$ " + String.join(" ", command));
            builder.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within "
                        + timeout.toSeconds() + " s and was killed" + tail());
            }
        } catch (InterruptedException e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + String.join(" ", command), e);
        }
        return process.exitValue();
    }

    /**
     * Runs a program and fails unless it exits with 0.
     *
     * @param timeout how long to wait
     * @param what    what the program does, for the error message (for example "initdb of the primary")
     * @param command the program and its arguments
     * @throws IllegalStateException if it fails; the message holds the end of its output
     */
    void run(Duration timeout, String what, List<String> command) {
        int code = exitCode(timeout, command);
        if (code != 0) {
            throw new IllegalStateException(what + " failed (exit code " + code + "): "
                    + String.join(" ", command) + tail());
        }
    }

    /**
     * Writes a line of the launcher's own into the log file.
     *
     * @param line the text
     */
    void note(String line) {
        if (logFile == null) {
            return;
        }
        try {
            Files.writeString(logFile, "[" + LocalTime.now() + "] " + line + System.lineSeparator(),
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the log is a convenience; running the command matters more
        }
    }

    private String tail() {
        return logFile == null ? "" : System.lineSeparator() + "--- end of " + logFile + " ---"
                + System.lineSeparator() + LogTail.of(logFile, 20);
    }
}
