package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md must be what {@link ConfigDocs} renders from the declared keys. */
class ConfigDocsTest {

    private static final Path PAGE = Path.of("../docs/configuration.md");

    @Test
    void theConfigurationPageIsCurrent() throws Exception {
        assertThat(Files.readString(PAGE, StandardCharsets.UTF_8))
                .as("regenerate with: java -cp app/target/bursar.jar io.bursar.app.ConfigDocs docs/configuration.md")
                .isEqualTo(ConfigDocs.render());
    }

    @Test
    void everyDeclaredKeyIsDocumented() throws Exception {
        final String page = Files.readString(PAGE, StandardCharsets.UTF_8);
        for (final String key : BursarConfig.DEFINITION.names()) {
            assertThat(page).contains("`" + key + "`");
        }
    }
}
