package io.trellis.demo;

import io.trellis.demo.grpc.Emoji;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The fixed catalogue the emoji service serves, in display order. */
public final class Emojis {
  private static final String[][] CATALOGUE = {
    {":doughnut:", "\uD83C\uDF69"},
    {":sunflower:", "\uD83C\uDF3B"},
    {":rocket:", "\uD83D\uDE80"},
    {":octopus:", "\uD83D\uDC19"},
    {":cactus:", "\uD83C\uDF35"},
    {":owl:", "\uD83E\uDD89"},
    {":pizza:", "\uD83C\uDF55"},
    {":rainbow:", "\uD83C\uDF08"},
    {":tada:", "\uD83C\uDF89"},
    {":hedgehog:", "\uD83E\uDD94"},
    {":teapot:", "\uD83E\uDED6"},
    {":crab:", "\uD83E\uDD80"},
    {":compass:", "\uD83E\uDDED"},
    {":mushroom:", "\uD83C\uDF44"},
    {":bento:", "\uD83C\uDF71"},
    {":kite:", "\uD83E\uDE81"},
    {":snail:", "\uD83D\uDC0C"},
    {":volcano:", "\uD83C\uDF0B"},
    {":lemon:", "\uD83C\uDF4B"},
    {":whale:", "\uD83D\uDC33"},
  };

  private static final Map<String, Emoji> BY_SHORTCODE = new LinkedHashMap<>();

  static {
    for (String[] e : CATALOGUE) {
      BY_SHORTCODE.put(e[0], Emoji.newBuilder().setShortcode(e[0]).setUnicode(e[1]).build());
    }
  }

  private Emojis() {}

  public static List<Emoji> all() {
    return List.copyOf(BY_SHORTCODE.values());
  }

  public static Optional<Emoji> find(String shortcode) {
    return Optional.ofNullable(BY_SHORTCODE.get(shortcode));
  }
}
