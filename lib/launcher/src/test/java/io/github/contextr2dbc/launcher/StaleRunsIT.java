package io.github.contextr2dbc.launcher;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/** A pair whose JVM is gone is stopped and deleted by the next start. */
class StaleRunsIT {

    @Test
    void serversAndFolderOfADeadJvmAreRemoved() throws Exception {
        PostgresBinaries bin = PostgresBinaries.find().orElse(null);
        assumeThat(bin).as("needs PostgreSQL server binaries").isNotNull();
        LocalPostgresPair pair = LocalPostgresPair.start(bin);
        try {
            Path run = pair.runFolder().dir();
            Path socketDir = pair.runFolder().socketDir();
            Files.writeString(run.resolve(RunFolder.OWNER_FILE), "pid=" + deadPid() + "\n", StandardCharsets.UTF_8);

            StaleRuns.clean(RunFolder.roots(), bin);

            assertThat(run).doesNotExist();
            assertThat(socketDir).doesNotExist();
            StepVerifier.create(Sql.run(pair.primaryConnectionFactory(), "SELECT 1")).expectError().verify(Sql.TIMEOUT);
            StepVerifier.create(Sql.run(pair.replicaConnectionFactory(), "SELECT 1")).expectError().verify(Sql.TIMEOUT);
        } finally {
            pair.close(); // nothing left to do, and that must be harmless
        }
    }

    @Test
    void foldersOfLiveJvmsAreLeftAlone() {
        PostgresPair shared = PostgresPair.shared();
        assumeThat(shared.kind()).isEqualTo("local");

        StaleRuns.clean(RunFolder.roots(), PostgresBinaries.find().orElseThrow());

        assertThat(Sql.text(shared.primaryConnectionFactory(), "SELECT 1")).isEqualTo("1");
    }

    private static long deadPid() throws Exception {
        Process process = new ProcessBuilder("true").start();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return process.pid();
    }
}
