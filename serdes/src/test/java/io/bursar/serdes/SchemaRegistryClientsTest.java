// URLs select the right client, and one client per URL is shared.
package io.bursar.serdes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SchemaRegistryClientsTest {

    @Test
    void mockUrlsSelectTheScopedInMemoryRegistry() {
        try {
            assertThat(SchemaRegistryClients.forUrl("mock://clients-test"))
                    .isSameAs(InMemorySchemaRegistry.forScope("clients-test"));
        } finally {
            InMemorySchemaRegistry.dropScope("clients-test");
        }
    }

    @Test
    void httpUrlsShareOneRestClientPerUrl() {
        final SchemaRegistryClient client = SchemaRegistryClients.forUrl("http://127.0.0.1:1/apis/ccompat/v7");
        assertThat(client).isInstanceOf(RestSchemaRegistryClient.class);
        assertThat(((RestSchemaRegistryClient) client).baseUrl()).isEqualTo("http://127.0.0.1:1/apis/ccompat/v7");
        assertThat(SchemaRegistryClients.forUrl(" http://127.0.0.1:1/apis/ccompat/v7 ")).isSameAs(client);
        assertThat(SchemaRegistryClients.forUrl("http://127.0.0.1:2")).isNotSameAs(client);
    }

    @Test
    void badUrlsAreRefused() {
        assertThatThrownBy(() -> SchemaRegistryClients.forUrl("mock://")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SchemaRegistryClients.forUrl("http://a:1,http://b:1"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SchemaRegistryClients.forUrl("localhost:8081"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SchemaRegistryClients.forUrl("ftp://host/x"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
