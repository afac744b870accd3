package io.sluice.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The grammar and the allowed range of one kind of configuration value. {@link #parse} turns text into a value
 * (or rejects it), {@link #accepts} decides whether a value, however it was obtained, is allowed, and
 * {@link #format} renders a value back in the grammar {@link #parse} reads ({@code format(parse(s))} parses
 * again to the same value).
 *
 * <p>Grammars (all case-sensitive unless noted):
 * <ul>
 *   <li>integer: ASCII digits with an optional leading {@code -}; no {@code +}, no separators;</li>
 *   <li>size: ASCII digits, then nothing (bytes) or {@code KiB}, {@code MiB}, {@code GiB} (powers of 1024);</li>
 *   <li>duration: ASCII digits, then {@code ms}, {@code s}, {@code m} or {@code h}; the unit is required, since a
 *       bare {@code 15} is as likely meant as milliseconds as seconds;</li>
 *   <li>choice: one of a fixed set of names, ignoring case;</li>
 *   <li>list: items separated by commas, each trimmed; empty text is the empty list, an empty item is an error.</li>
 * </ul>
 */
abstract class ValueType<T> {
    static final long KIB = 1024;
    static final long MIB = 1024 * KIB;
    static final long GIB = 1024 * MIB;

    private static final String SIZE_NOUN = "a size such as 512, 64KiB or 1MiB";
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");
    private static final Pattern NUMBER_AND_UNIT = Pattern.compile("([0-9]+)([A-Za-z]*)");

    private ValueType() {
    }

    /** Parses {@code text}, which the caller has already trimmed; the result may still fail {@link #accepts}. */
    abstract T parse(String text) throws Rejected;

    /** Whether {@code value} is allowed; false for null. */
    abstract boolean accepts(T value);

    /** What is allowed, as a noun phrase that completes "expected …". */
    abstract String describe();

    /** {@code value} in the grammar {@link #parse} reads; {@code "null"} for null. */
    abstract String format(T value);

    /** Parses and range-checks {@code text}. */
    final T read(String text) throws Rejected {
        T value = parse(text);
        if (!accepts(value)) {
            throw new Rejected(null);
        }
        return value;
    }

    /** Text that {@link #parse} cannot read, or reads to a value out of range; {@code detail} says why, or is null. */
    static final class Rejected extends Exception {
        Rejected(String detail) {
            super(detail, null, false, false);
        }

        /** The specific reason, or null when "expected …" says it all. */
        String detail() {
            return getMessage();
        }
    }

    static ValueType<Integer> integer(int min, int max) {
        return new Ranged<>("an integer", min, max, text -> toInt(parseInteger(text)), String::valueOf);
    }

    static ValueType<Long> size(long min, long max) {
        return new Ranged<>(SIZE_NOUN, min, max, ValueType::parseSize, ValueType::formatSize);
    }

    static ValueType<Integer> intSize(int min, int max) {
        return new Ranged<>(SIZE_NOUN, min, max, text -> toInt(parseSize(text)), n -> formatSize(n));
    }

    static ValueType<Duration> duration(Duration min, Duration max) {
        return new Ranged<>("a duration such as 250ms, 15s, 5m or 1h", min, max,
                ValueType::parseDuration, ValueType::formatDuration);
    }

    static ValueType<Boolean> bool() {
        Map<String, Boolean> names = new LinkedHashMap<>();
        names.put("true", Boolean.TRUE);
        names.put("false", Boolean.FALSE);
        return new Choice<>(names, "true or false");
    }

    static <E extends Enum<E>> ValueType<E> enumeration(Class<E> type) {
        Map<String, E> names = new LinkedHashMap<>();
        for (E constant : type.getEnumConstants()) {
            names.put(constant.name().toLowerCase(Locale.ROOT), constant);
        }
        return new Choice<>(names, "one of " + String.join(", ", names.keySet()));
    }

    /**
     * The backplane: {@code local} (ignoring case, read as {@code local}) or a Redis URL as {@link RedisAddress}
     * parses it. Rejection details never quote the URL's password.
     */
    static ValueType<String> backplane() {
        return new ValueType<>() {
            @Override
            String parse(String text) throws Rejected {
                if (text.equalsIgnoreCase(SluiceConfig.DEFAULT_BACKPLANE)) {
                    return SluiceConfig.DEFAULT_BACKPLANE;
                }
                if (RedisAddress.isRedisUrl(text)) {
                    try {
                        RedisAddress.parse(text);
                    } catch (IllegalArgumentException e) {
                        throw new Rejected(e.getMessage());
                    }
                }
                return text;
            }

            @Override
            boolean accepts(String value) {
                if (SluiceConfig.DEFAULT_BACKPLANE.equals(value)) {
                    return true;
                }
                if (!RedisAddress.isRedisUrl(value)) {
                    return false;
                }
                try {
                    RedisAddress.parse(value);
                    return true;
                } catch (IllegalArgumentException e) {
                    return false;
                }
            }

            @Override
            String describe() {
                return RedisAddress.GRAMMAR;
            }

            @Override
            String format(String value) {
                return String.valueOf(value);
            }
        };
    }

    /** A host name or an IP address literal; checked only for being non-empty and free of whitespace and controls. */
    static ValueType<String> host() {
        return new ValueType<>() {
            @Override
            String parse(String text) {
                return text;
            }

            @Override
            boolean accepts(String value) {
                return value != null && !value.isEmpty()
                        && value.chars().noneMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c));
            }

            @Override
            String describe() {
                return "an IP address or host name (non-empty, no whitespace)";
            }

            @Override
            String format(String value) {
                return String.valueOf(value);
            }
        };
    }

    /**
     * Free text, possibly empty (empty means "not set"); {@code check} decides whether a non-empty value is allowed
     * and {@code describe} says what is.
     */
    static ValueType<String> text(Predicate<String> check, String describe) {
        return new ValueType<>() {
            @Override
            String parse(String text) {
                return text;
            }

            @Override
            boolean accepts(String value) {
                return value != null && (value.isEmpty() || check.test(value));
            }

            @Override
            String describe() {
                return describe;
            }

            @Override
            String format(String value) {
                return String.valueOf(value);
            }
        };
    }

    /**
     * A comma-separated list, possibly empty; items are trimmed, and each must satisfy {@code item}.
     * {@code describe} says what one item may be. The value is an unmodifiable list.
     */
    static ValueType<List<String>> list(Predicate<String> item, String describe) {
        return new ValueType<>() {
            @Override
            List<String> parse(String text) throws Rejected {
                if (text.isEmpty()) {
                    return List.of();
                }
                List<String> items = new ArrayList<>();
                for (String part : text.split(",", -1)) {
                    String trimmed = part.trim();
                    if (trimmed.isEmpty()) {
                        throw new Rejected("empty item in the list");
                    }
                    if (!item.test(trimmed)) {
                        throw new Rejected("item '" + trimmed + "' is not allowed");
                    }
                    items.add(trimmed);
                }
                return List.copyOf(items);
            }

            @Override
            boolean accepts(List<String> value) {
                return value != null && value.stream().allMatch(v -> v != null && !v.isEmpty() && item.test(v));
            }

            @Override
            String describe() {
                return "a comma-separated list (possibly empty) of " + describe;
            }

            @Override
            String format(List<String> value) {
                return value == null ? "null" : String.join(",", value);
            }
        };
    }

    private static long parseInteger(String text) throws Rejected {
        if (!INTEGER.matcher(text).matches()) {
            throw new Rejected(null);
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException overflow) {
            throw new Rejected(null);
        }
    }

    private static int toInt(long value) throws Rejected {
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new Rejected(null);
        }
        return (int) value;
    }

    private static long parseSize(String text) throws Rejected {
        Matcher m = NUMBER_AND_UNIT.matcher(text);
        if (!m.matches()) {
            throw new Rejected(null);
        }
        long scale = switch (m.group(2)) {
            case "" -> 1;
            case "KiB" -> KIB;
            case "MiB" -> MIB;
            case "GiB" -> GIB;
            default -> throw new Rejected("unknown unit '" + m.group(2) + "' (units are KiB, MiB and GiB)");
        };
        return scaled(m.group(1), scale);
    }

    private static Duration parseDuration(String text) throws Rejected {
        if (DIGITS.matcher(text).matches()) {
            throw new Rejected("a duration needs a unit (ms, s, m or h)");
        }
        Matcher m = NUMBER_AND_UNIT.matcher(text);
        if (!m.matches()) {
            throw new Rejected(null);
        }
        long millisPerUnit = switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1000;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> throw new Rejected("unknown unit '" + m.group(2) + "' (units are ms, s, m and h)");
        };
        return Duration.ofMillis(scaled(m.group(1), millisPerUnit));
    }

    /** {@code digits * scale}, rejecting values that do not fit in a long. */
    private static long scaled(String digits, long scale) throws Rejected {
        try {
            return Math.multiplyExact(Long.parseLong(digits), scale);
        } catch (NumberFormatException | ArithmeticException overflow) {
            throw new Rejected(null);
        }
    }

    static String formatSize(long bytes) {
        if (bytes != 0 && bytes % GIB == 0) {
            return bytes / GIB + "GiB";
        } else if (bytes != 0 && bytes % MIB == 0) {
            return bytes / MIB + "MiB";
        } else if (bytes != 0 && bytes % KIB == 0) {
            return bytes / KIB + "KiB";
        }
        return Long.toString(bytes);
    }

    private static String formatDuration(Duration d) {
        if (d.isNegative() || d.getNano() % 1_000_000 != 0) {
            return d.toString();
        }
        long millis = d.toMillis();
        if (millis != 0 && millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        } else if (millis != 0 && millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        } else if (millis != 0 && millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }

    /** A parser that may reject its input. */
    @FunctionalInterface
    private interface Parser<T> {
        T parse(String text) throws Rejected;
    }

    /** A value that must lie in {@code [min, max]}. */
    private static final class Ranged<T extends Comparable<T>> extends ValueType<T> {
        private final String noun;
        private final T min;
        private final T max;
        private final Parser<T> parser;
        private final Function<T, String> formatter;

        Ranged(String noun, T min, T max, Parser<T> parser, Function<T, String> formatter) {
            this.noun = noun;
            this.min = min;
            this.max = max;
            this.parser = parser;
            this.formatter = formatter;
        }

        @Override
        T parse(String text) throws Rejected {
            return parser.parse(text);
        }

        @Override
        boolean accepts(T value) {
            return value != null && value.compareTo(min) >= 0 && value.compareTo(max) <= 0;
        }

        @Override
        String describe() {
            return noun + " between " + formatter.apply(min) + " and " + formatter.apply(max);
        }

        @Override
        String format(T value) {
            return value == null ? "null" : formatter.apply(value);
        }
    }

    /** One of a fixed set of names, matched ignoring case; each name stands for one value. */
    private static final class Choice<T> extends ValueType<T> {
        private final Map<String, T> byName;
        private final String description;

        Choice(Map<String, T> byName, String description) {
            this.byName = Map.copyOf(byName);
            this.description = description;
        }

        @Override
        T parse(String text) throws Rejected {
            T value = byName.get(text.toLowerCase(Locale.ROOT));
            if (value == null) {
                throw new Rejected(null);
            }
            return value;
        }

        @Override
        boolean accepts(T value) {
            return value != null && byName.containsValue(value);
        }

        @Override
        String describe() {
            return description;
        }

        @Override
        String format(T value) {
            for (Map.Entry<String, T> e : byName.entrySet()) {
                if (Objects.equals(e.getValue(), value)) {
                    return e.getKey();
                }
            }
            return String.valueOf(value);
        }
    }
}
