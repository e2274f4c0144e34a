package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code compose/} follows the build: the Kafka and registry images are the versions the build uses, its
 * properties are a valid configuration, and each of the two instances advertises a name its peer can reach.
 */
class ComposeFileTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theImagesAreTheVersionsTheBuildUses() throws Exception {
        final String pom = Files.readString(ROOT.resolve("pom.xml"));
        final String compose = Files.readString(ROOT.resolve("compose/docker-compose.yml"));

        assertThat(compose).contains("image: apache/kafka:" + property(pom, "kafka.version") + "\n")
                .contains("image: apicurio/apicurio-registry:" + property(pom, "apicurio.version") + "\n");
    }

    @Test
    void twoInstancesAdvertiseTheirOwnServiceNames() throws Exception {
        final String compose = Files.readString(ROOT.resolve("compose/docker-compose.yml"));
        for (final String instance : new String[] {"bursar-1", "bursar-2"}) {
            final Matcher service = Pattern.compile("\n  " + instance + ":\n((?:    .*\n|\\s*\n)*)").matcher(compose);
            assertThat(service.find()).as(instance).isTrue();
            assertThat(service.group(1)).contains("hostname: " + instance)
                    .contains("\"http.advertised.host=" + instance + "\"");
        }
        assertThat(compose).contains("\"simulator\", \"--host\", \"0.0.0.0\"");
    }

    @Test
    void thePropertiesAreAValidConfiguration() throws Exception {
        final Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(ROOT.resolve("compose/bursar.properties"), StandardCharsets.UTF_8)) {
            props.load(reader);
        }
        props.put("http.advertised.host", "bursar-1");

        final BursarConfig config = new BursarConfig(props);

        assertThat(config.gateway().advertisedHost()).isEqualTo("bursar-1");
        try (var providers = config.providers()) {
            assertThat(providers.contains("sim")).isTrue();
            assertThat(providers.config("sim").ratePerSecond()).isEqualTo(2);
        }
        assertThat(config.getString(BursarConfig.SCHEMA_REGISTRY_URL)).isEqualTo("http://registry:8080/apis/ccompat/v7");
    }

    private static String property(final String pom, final String name) {
        final Matcher matcher = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(pom);
        assertThat(matcher.find()).as(name).isTrue();
        return matcher.group(1);
    }
}
