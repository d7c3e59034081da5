package io.trellis.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A poll reads a file for its checksum only when it may have been written since the last one. */
class WatchedFilesTest {
  @TempDir Path dir;

  @Test
  void aFileUnchangedSinceWellBeforeTheLastFingerprintIsNotReadAgain() throws Exception {
    Path file = Files.writeString(dir.resolve("mesh.conf"), "a = 1\n");
    List<WatchedFiles.Stamp> first = WatchedFiles.fingerprint(List.of(file));
    // The last fingerprint was taken long after the file's ctime: its stamp stands unread.
    long muchLater = System.currentTimeMillis() + 60_000;
    List<WatchedFiles.Stamp> second = WatchedFiles.fingerprint(List.of(file), first, muchLater);
    assertSame(first.get(0), second.get(0));
    // The same question about a fingerprint taken before the file was written: it is read.
    List<WatchedFiles.Stamp> early =
        WatchedFiles.fingerprint(List.of(file), first, first.get(0).changedMillis() - 1);
    assertNotSame(first.get(0), early.get(0));
    assertEquals(first, early);
  }

  @Test
  void anEditAfterTheLastFingerprintIsSeenEvenWithTheSizeAndMtimeSetBack() throws Exception {
    Path file = Files.writeString(dir.resolve("mesh.conf"), "a = 1\n");
    FileTime mtime = FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
    Files.setLastModifiedTime(file, mtime);
    long at = System.currentTimeMillis();
    List<WatchedFiles.Stamp> before = WatchedFiles.fingerprint(List.of(file));

    Files.writeString(file, "a = 2\n"); // same size
    Files.setLastModifiedTime(file, mtime); // same mtime, an hour old
    List<WatchedFiles.Stamp> after = WatchedFiles.fingerprint(List.of(file), before, at);
    assertEquals(before.get(0).size(), after.get(0).size());
    assertEquals(before.get(0).modifiedMillis(), after.get(0).modifiedMillis());
    assertNotEquals(before, after, "the ctime moved, so the content was read: " + after);
    assertNotEquals(before.get(0).crc(), after.get(0).crc());
  }
}
