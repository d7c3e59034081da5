package io.trellis.config.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes resource quantities ("900m", "1", "1.5", "2k", "1Ki", "5e2"), as SMI v1alpha1
 * TrafficSplit weights and ServiceProfile dstOverride weights are written, in thousandths.
 */
public final class Quantity {
  private static final Pattern FORM =
      Pattern.compile(
          "([+-]?(?:\\d+\\.?\\d*|\\.\\d+))(?:([eE][+-]?\\d+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?)");
  private static final Map<String, BigDecimal> SUFFIX =
      Map.ofEntries(
          Map.entry("n", new BigDecimal("1e-9")),
          Map.entry("u", new BigDecimal("1e-6")),
          Map.entry("m", new BigDecimal("1e-3")),
          Map.entry("k", new BigDecimal("1e3")),
          Map.entry("M", new BigDecimal("1e6")),
          Map.entry("G", new BigDecimal("1e9")),
          Map.entry("T", new BigDecimal("1e12")),
          Map.entry("P", new BigDecimal("1e15")),
          Map.entry("E", new BigDecimal("1e18")),
          Map.entry("Ki", BigDecimal.valueOf(1L << 10)),
          Map.entry("Mi", BigDecimal.valueOf(1L << 20)),
          Map.entry("Gi", BigDecimal.valueOf(1L << 30)),
          Map.entry("Ti", BigDecimal.valueOf(1L << 40)),
          Map.entry("Pi", BigDecimal.valueOf(1L << 50)),
          Map.entry("Ei", BigDecimal.valueOf(1L << 60)));
  private static final BigDecimal MAX = BigDecimal.valueOf(Long.MAX_VALUE);

  private Quantity() {}

  /**
   * The quantity in thousandths, rounded up as Kubernetes' {@code MilliValue} does; negative values
   * are returned as such for the caller to reject with context.
   */
  public static long milli(String text) {
    Matcher m = FORM.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "expected a quantity such as \"1\", \"500m\" or \"900m\", got \"" + text + "\"");
    }
    BigDecimal value = new BigDecimal(m.group(1));
    if (m.group(2) != null) {
      value = value.scaleByPowerOfTen(Integer.parseInt(m.group(2).substring(1)));
    } else if (m.group(3) != null) {
      value = value.multiply(SUFFIX.get(m.group(3)));
    }
    BigDecimal milli = value.movePointRight(3).setScale(0, RoundingMode.CEILING);
    if (milli.abs().compareTo(MAX) > 0) {
      throw new IllegalArgumentException("quantity \"" + text + "\" is too large");
    }
    return milli.longValueExact();
  }
}
