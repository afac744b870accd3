package io.sluice.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Builds the {@link SluiceConfig} from defaults, a config file, the environment and the command line
 * (CONTRACT section 9), and renders the key table as {@code --help} text and as the README's Markdown table.
 *
 * <p>Precedence, lowest first: the default; the config file ({@code --config FILE} or {@code --config=FILE},
 * else the environment variable {@code SLUICE_CONFIG}); the environment ({@code SLUICE_MAX_EVENT_BYTES});
 * flags ({@code --max-event-bytes=VALUE} or {@code --max-event-bytes VALUE}). Every value given is checked,
 * including one a higher source overrides. Values from every source are trimmed.
 *
 * <p>Strictness: an unknown key in the file, an unknown flag, a stray argument, a key set twice in the file and
 * any bad value are errors ({@link ConfigException}); a flag given twice takes its last value, so a wrapper script
 * can append overrides. An unknown {@code SLUICE_*} environment variable is only a warning: the environment is
 * shared with other software and outlives upgrades that remove keys.
 *
 * <p>A boolean flag given without a value ({@code --dev-clock} followed by another flag or nothing) means true.
 * {@code --help} and {@code -h} are accepted and ignored by {@link #load}; callers check
 * {@link #isHelpRequested} first.
 */
public final class ConfigLoader {
    /** The flag naming the config file. */
    public static final String CONFIG_FLAG = "--config";
    /** The environment variable naming the config file when {@link #CONFIG_FLAG} is absent. */
    public static final String CONFIG_ENV = "SLUICE_CONFIG";

    private static final String ENV_PREFIX = "SLUICE_";
    private static final String USAGE = "Usage: java -jar sluice-gateway.jar [--config FILE] [--KEY=VALUE | --KEY VALUE]...";

    /**
     * The result of {@link #load}: a valid configuration and the problems that did not stop start-up (such as an
     * unknown {@code SLUICE_*} environment variable), for the caller to log.
     */
    public record LoadedConfig(SluiceConfig config, List<String> warnings) {
        public LoadedConfig {
            Objects.requireNonNull(config, "config");
            warnings = List.copyOf(warnings);
        }
    }

    private ConfigLoader() {
    }

    /**
     * Loads the configuration.
     *
     * @param args the command-line arguments
     * @param env the environment, normally {@link System#getenv()}
     * @return the configuration and any warnings to log
     * @throws ConfigException on an unreadable or malformed config file, an unknown key or flag, or a bad value;
     *         the message names the key, the value, its source and what is allowed
     */
    public static LoadedConfig load(String[] args, Map<String, String> env) {
        return load(args, env, JvmFit.Limits.ofThisJvm());
    }

    /** {@link #load(String[], Map)} against given JVM limits ({@link JvmFit}). */
    static LoadedConfig load(String[] args, Map<String, String> env, JvmFit.Limits jvm) {
        Objects.requireNonNull(args, "args");
        Objects.requireNonNull(env, "env");
        CommandLine commandLine = CommandLine.parse(args);
        ConfigValues values = ConfigValues.defaults();
        List<String> warnings = new ArrayList<>();

        if (commandLine.configFile != null) {
            readFile(commandLine.configFile, "flag " + CONFIG_FLAG, values);
        } else if (env.containsKey(CONFIG_ENV)) {
            readFile(env.get(CONFIG_ENV).strip(), "environment " + CONFIG_ENV, values);
        }
        readEnvironment(env, values, warnings);
        for (Map.Entry<ConfigKey<?>, String> flag : commandLine.flags.entrySet()) {
            values.read(flag.getKey(), flag.getValue(), "flag " + flag.getKey().flag());
        }
        values.validate();
        String lowered = JvmFit.fit(values, jvm);
        if (lowered != null) {
            warnings.add(lowered);
        }
        return new LoadedConfig(values.toConfig(), warnings);
    }

    /** Whether {@code args} ask for the usage text ({@code --help} or {@code -h}). */
    public static boolean isHelpRequested(String[] args) {
        for (String arg : args) {
            if (isHelp(arg)) {
                return true;
            }
        }
        return false;
    }

    /** Usage text listing every key with its flag, environment variable, default, meaning and allowed values. */
    public static String helpText() {
        StringBuilder out = new StringBuilder()
                .append(USAGE).append("\n\n")
                .append("Every key can be set in a config file (UTF-8 lines 'key = value'; '#' starts a comment),\n")
                .append("as an environment variable, or as a flag. A flag beats the environment, which beats the file,\n")
                .append("which beats the default. Durations read 250ms, 15s, 5m, 1h; sizes read 512, 64KiB, 1MiB, 1GiB.\n")
                .append("A boolean flag on its own (--dev-clock) means true. A bad value stops start-up with exit code 2.\n\n")
                .append("  ").append(CONFIG_FLAG).append(" FILE, ").append(CONFIG_ENV).append('\n')
                .append("      Read settings from FILE; the flag beats the variable.\n")
                .append("  --help, -h\n")
                .append("      Print this text and exit.\n\n")
                .append("Keys:\n");
        for (ConfigKey<?> key : ConfigKey.all()) {
            out.append("  ").append(key.name()).append("  ").append(key.flag()).append(", ").append(key.envVar())
                    .append("  (default ").append(key.defaultText().isEmpty() ? "empty" : key.defaultText()).append(")\n")
                    .append("      ").append(key.description()).append('\n')
                    .append("      Allowed: ").append(key.allowed()).append(".\n");
        }
        return out.toString();
    }

    /** The README's configuration table in GitHub Markdown: one row per key with key, env, flag, default, meaning. */
    public static String markdownTable() {
        StringBuilder out = new StringBuilder()
                .append("| key | env | flag | default | meaning |\n")
                .append("|---|---|---|---|---|\n");
        for (ConfigKey<?> key : ConfigKey.all()) {
            out.append("| ").append(code(key.name()))
                    .append(" | ").append(code(key.envVar()))
                    .append(" | ").append(code(key.flag()))
                    .append(" | ").append(key.defaultText().isEmpty() ? "(empty)" : code(key.defaultText()))
                    .append(" | ").append(cell(key.description() + " Allowed: " + key.allowed() + "."))
                    .append(" |\n");
        }
        return out.toString();
    }

    /** The flags of one command line: the config file, if named, and the last value of each key's flag. */
    private static final class CommandLine {
        private String configFile;
        private final Map<ConfigKey<?>, String> flags = new LinkedHashMap<>();

        static CommandLine parse(String[] args) {
            CommandLine commandLine = new CommandLine();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (isHelp(arg)) {
                    continue;
                }
                if (!arg.startsWith("--")) {
                    throw new ConfigException("unexpected argument '" + arg
                            + "': settings are flags such as --port=8080; run with --help to list them");
                }
                int eq = arg.indexOf('=');
                String flag = eq < 0 ? arg : arg.substring(0, eq);
                Optional<ConfigKey<?>> key = ConfigKey.byFlag(flag);
                if (key.isEmpty() && !flag.equals(CONFIG_FLAG)) {
                    throw new ConfigException("unknown flag " + flag + suggestion(flag, ConfigKey::flag)
                            + "; run with --help to list flags");
                }
                String value;
                if (eq >= 0) {
                    value = arg.substring(eq + 1);
                } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                    value = args[++i];
                } else if (key.isPresent() && key.get().defaultValue() instanceof Boolean) {
                    value = "true";
                } else {
                    throw new ConfigException("flag " + flag + " needs a value, as in " + flag + "=VALUE");
                }
                if (key.isPresent()) {
                    commandLine.flags.put(key.get(), value.strip());
                } else {
                    commandLine.configFile = value.strip();
                }
            }
            return commandLine;
        }
    }

    /** Reads every {@code SLUICE_*} variable but {@link #CONFIG_ENV}; unknown ones become warnings, in name order. */
    private static void readEnvironment(Map<String, String> env, ConfigValues values, List<String> warnings) {
        for (Map.Entry<String, String> variable : new TreeMap<>(env).entrySet()) {
            String name = variable.getKey();
            if (!name.startsWith(ENV_PREFIX) || name.equals(CONFIG_ENV)) {
                continue;
            }
            Optional<ConfigKey<?>> key = ConfigKey.byEnvVar(name);
            if (key.isPresent()) {
                values.read(key.get(), variable.getValue().strip(), "environment " + name);
            } else {
                warnings.add("ignoring unknown environment variable " + name
                        + suggestion(name, ConfigKey::envVar));
            }
        }
    }

    /** Reads {@code key = value} lines from the file at {@code path}, named by {@code source}, into {@code values}. */
    private static void readFile(String path, String source, ConfigValues values) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(path), StandardCharsets.UTF_8);
        } catch (IOException | InvalidPathException e) {
            throw new ConfigException("cannot read config file '" + path + "' (from " + source + "): " + reason(e), e);
        }
        Map<ConfigKey<?>, Integer> lineOfKey = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            int lineNumber = i + 1;
            String line = (i == 0 ? stripByteOrderMark(lines.get(i)) : lines.get(i)).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "config file " + path + " line " + lineNumber;
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new ConfigException("malformed line '" + line + "' in " + where
                        + ": expected 'key = value' or a comment starting with '#'");
            }
            String name = line.substring(0, eq).strip();
            ConfigKey<?> key = ConfigKey.byName(name).orElseThrow(() -> new ConfigException(
                    "unknown key '" + name + "' in " + where + suggestion(name, ConfigKey::name)
                            + "; run with --help to list keys"));
            Integer earlier = lineOfKey.put(key, lineNumber);
            if (earlier != null) {
                throw new ConfigException("key " + name + " is set twice in config file " + path + " (lines " + earlier
                        + " and " + lineNumber + ")");
            }
            values.read(key, line.substring(eq + 1).strip(), where);
        }
    }

    private static boolean isHelp(String arg) {
        return arg.equals("--help") || arg.equals("-h");
    }

    /** " (did you mean X?)" where X is the spelling, as {@code form} writes it, of the key {@code wrong} resembles. */
    private static String suggestion(String wrong, Function<ConfigKey<?>, String> form) {
        return ConfigKey.suggest(wrong).map(k -> " (did you mean " + form.apply(k) + "?)").orElse("");
    }

    private static String reason(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        } else if (e instanceof AccessDeniedException) {
            return "permission denied";
        } else if (e instanceof CharacterCodingException) {
            return "not valid UTF-8";
        } else if (e instanceof InvalidPathException) {
            return "not a valid path (" + e.getMessage() + ")";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String stripByteOrderMark(String line) {
        return line.startsWith("\uFEFF") ? line.substring(1) : line;
    }

    private static String code(String text) {
        return "`" + text + "`";
    }

    /** {@code text} made safe for a Markdown table cell. */
    private static String cell(String text) {
        return text.replace("|", "\\|");
    }
}
