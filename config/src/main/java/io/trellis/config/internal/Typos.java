package io.trellis.config.internal;

import java.util.Collection;
import java.util.Optional;

/** Finds the known key a misspelt one was probably meant to be. */
public final class Typos {
  private Typos() {}

  /**
   * The known key closest to {@code key} by edit distance, if close enough to be a typo: at most
   * one edit for short keys, two for longer ones, and never more than a third of the key.
   */
  public static Optional<String> closest(String key, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : known) {
      int d = distance(key.toLowerCase(), candidate.toLowerCase());
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    int allowed = Math.min(key.length() <= 4 ? 1 : 2, Math.max(1, key.length() / 3));
    return bestDistance <= allowed ? Optional.of(best) : Optional.empty();
  }

  /** Reason text for an unknown key: names the likely intent, or lists what is allowed. */
  public static String unknownKey(String key, Collection<String> known) {
    return closest(key, known)
        .map(k -> "unknown key \"" + key + "\"; did you mean `" + k + "`?")
        .orElseGet(
            () -> "unknown key \"" + key + "\"; expected one of " + String.join(", ", known));
  }

  /** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("prot"). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
