package io.trellis.cli.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Templates become regexes that match what the template describes, and nothing more. */
class PathTemplatesTest {
  @Test
  void parametersMatchOneSegment() {
    assertEquals("/books/[^/]*", PathTemplates.toRegex("/books/{id}"));
    assertEquals("/a/[^/]*/b/[^/]*\\.json", PathTemplates.toRegex("/a/{x}/b/{y}.json"));
    Pattern p = Pattern.compile(PathTemplates.toRegex("/books/{id}"));
    assertTrue(p.matcher("/books/42").matches());
    assertFalse(p.matcher("/books/42/cover").matches());
  }

  @Test
  void literalsAreEscapedAsGoQuoteMeta() {
    assertEquals("/v1\\.0/\\(beta\\)/a\\+b\\*\\?\\|\\^\\$\\[\\]\\\\",
        PathTemplates.toRegex("/v1.0/(beta)/a+b*?|^$[]\\"));
    assertEquals("/a-b_c~d:e@f", PathTemplates.toRegex("/a-b_c~d:e@f"));
    assertTrue(Pattern.compile(PathTemplates.toRegex("/x.y/(z)")).matcher("/x.y/(z)").matches());
    assertFalse(Pattern.compile(PathTemplates.toRegex("/x.y")).matcher("/xzy").matches());
  }

  @Test
  void anUnclosedBraceIsLiteral() {
    assertEquals("/a/\\{b", PathTemplates.toRegex("/a/{b"));
    assertEquals("/a/[^/]*/\\{c", PathTemplates.toRegex("/a/{b}/{c"));
  }
}
