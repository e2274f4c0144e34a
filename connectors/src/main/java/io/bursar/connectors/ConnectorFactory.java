// How the registry builds a connector of one adapter type from that provider's configuration.
package io.bursar.connectors;

/** Builds a connector for one provider; registered once per adapter type in {@link ProviderConnectors}. */
@FunctionalInterface
public interface ConnectorFactory {

    /** Returns a new connector for the provider; throws IllegalArgumentException if the config does not suit the type. */
    ProviderConnector create(ProviderConfig config);
}
