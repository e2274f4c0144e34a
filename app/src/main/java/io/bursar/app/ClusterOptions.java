// The options that name a Bursar cluster from the command line, shared by the commands that work on one.
package io.bursar.app;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * {@code --config} (a {@code bursar run} properties file), or {@code --bootstrap} and {@code --registry} (also
 * over the file's), and {@code --application-id}: what {@code bursar verify} and {@code bursar dlq} read.
 */
final class ClusterOptions {

    @Option(names = "--config", description = "The instances' properties file (as for `bursar run`): cluster, "
            + "registry, application.id, providers.")
    private Path configFile;

    @Option(names = "--bootstrap", description = "Kafka bootstrap servers (instead of, or over, --config).")
    private String bootstrap;

    @Option(names = "--registry", description = "Schema registry URL (instead of, or over, --config).")
    private String registry;

    @Option(names = "--application-id", description = "The application id (default: the config's, else bursar).")
    private String applicationId;

    /** The properties these options name; empty when neither a config file nor bootstrap and registry were given. */
    Optional<Properties> properties() throws IOException {
        final Properties props = new Properties();
        if (configFile != null) {
            try (Reader reader = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
                props.load(reader);
            }
        }
        if (bootstrap != null) {
            props.setProperty(BursarConfig.BOOTSTRAP_SERVERS, bootstrap);
        }
        if (registry != null) {
            props.setProperty(BursarConfig.SCHEMA_REGISTRY_URL, registry);
        }
        if (applicationId != null) {
            props.setProperty(BursarConfig.APPLICATION_ID, applicationId);
        }
        return props.containsKey(BursarConfig.BOOTSTRAP_SERVERS) && props.containsKey(BursarConfig.SCHEMA_REGISTRY_URL)
                ? Optional.of(props) : Optional.empty();
    }
}
