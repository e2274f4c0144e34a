package io.bursar.app;

import io.bursar.connectors.ProviderSetting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Renders docs/configuration.md from the one declaration of every key ({@link BursarConfig#DEFINITION}),
 * so the documentation cannot drift from the code: a test fails when the file is stale.
 */
public final class ConfigDocs {

    private ConfigDocs() {
    }

    /** Writes the rendered page to the path given as the only argument. */
    public static void main(final String[] args) throws IOException {
        Files.writeString(Path.of(args[0]), render(), StandardCharsets.UTF_8);
    }

    static String render() {
        final StringBuilder out = new StringBuilder()
                .append("# Configuration\n\n")
                .append("Every key of `bursar run --config FILE` (a Java properties file). Generated from ")
                .append("`BursarConfig.DEFINITION` by `ConfigDocs`; `ConfigDocsTest` fails when this page is stale.\n")
                .append("Keys prefixed `").append(BursarConfig.KAFKA_CLIENT_PREFIX)
                .append("` are passed, without the prefix, to every Kafka client (for example `kafka.security.protocol`).\n\n")
                .append("| key | type | default | valid values | importance | description |\n")
                .append("|---|---|---|---|---|---|\n");
        BursarConfig.DEFINITION.configKeys().values().stream()
                .sorted(Comparator.comparing((ConfigDef.ConfigKey k) -> k.importance).thenComparing(k -> k.name))
                .forEach(key -> out.append("| `").append(key.name).append("` | ")
                        .append(key.type.toString().toLowerCase()).append(" | ")
                        .append(key.hasDefault() ? "`" + ConfigDef.convertToString(key.defaultValue, key.type) + "`" : "required")
                        .append(" | ").append(key.validator == null ? "" : key.validator.toString().replace("|", "\\|"))
                        .append(" | ").append(key.importance.toString().toLowerCase())
                        .append(" | ").append(key.documentation.replace("|", "\\|")).append(" |\n"));
        out.append("\n## Providers\n\n")
                .append("One block per external provider, `").append(ProviderSetting.PREFIX)
                .append("<providerId>.<setting>` (generated from `ProviderSetting`):\n\n")
                .append("| setting | default | valid values | description |\n|---|---|---|---|\n");
        for (final ProviderSetting setting : ProviderSetting.values()) {
            out.append("| `").append(setting.suffix()).append("` | ")
                    .append(setting.defaultValue().map(v -> "`" + v + "`").orElse("required")).append(" | ")
                    .append(setting.isNumeric() ? "[" + setting.min() + ",...," + setting.max() + "]" : "")
                    .append(" | ").append(setting.doc().replace("|", "\\|")).append(" |\n");
        }
        return out.toString();
    }
}
