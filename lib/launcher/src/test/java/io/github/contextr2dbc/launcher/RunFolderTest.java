package io.github.contextr2dbc.launcher;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class RunFolderTest {

    @TempDir
    Path dir;

    @Test
    void folderOfThisJvmIsNotAbandoned() throws Exception {
        ProcessHandle self = ProcessHandle.current();
        owner("pid=" + self.pid() + "\nstart=" + self.info().startInstant().orElseThrow().toEpochMilli() + "\n");

        assertThat(RunFolder.abandoned(dir)).isFalse();
    }

    @Test
    void folderOfAReusedPidIsAbandoned() throws Exception {
        ProcessHandle self = ProcessHandle.current();
        long otherStart = self.info().startInstant().orElseThrow().minusSeconds(3600).toEpochMilli();
        owner("pid=" + self.pid() + "\nstart=" + otherStart + "\n");

        assertThat(RunFolder.abandoned(dir)).isTrue();
    }

    @Test
    void folderOfAFinishedProcessIsAbandoned() throws Exception {
        Process process = new ProcessBuilder("true").start();
        process.waitFor();
        owner("pid=" + process.pid() + "\n");

        assertThat(RunFolder.abandoned(dir)).isTrue();
    }

    @Test
    void folderWithoutOwnerIsAbandonedOnlyWhenOld() throws Exception {
        assertThat(RunFolder.abandoned(dir)).isFalse();

        Files.setLastModifiedTime(dir, FileTime.from(Instant.now().minusSeconds(3600)));

        assertThat(RunFolder.abandoned(dir)).isTrue();
    }

    @Test
    void deleteTreeRemovesNestedFoldersAndToleratesMissingOnes() throws Exception {
        Path nested = Files.createDirectories(dir.resolve("a/b/c"));
        Files.writeString(nested.resolve("f"), "x");

        RunFolder.deleteTree(dir.resolve("a"));
        RunFolder.deleteTree(dir.resolve("a"));

        assertThat(dir.resolve("a")).doesNotExist();
    }

    private void owner(String text) throws Exception {
        Files.writeString(dir.resolve(RunFolder.OWNER_FILE), text, StandardCharsets.UTF_8);
    }
}
