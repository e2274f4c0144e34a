package io.bursar.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Key hashing, key generation, authentication by hash, and what a caller may touch. */
class ApiKeysTest {

    @Test
    void sha256HexIsTheStandardDigestInLowercaseHex() {
        assertThat(ApiKeys.sha256Hex("abc"))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(ApiKeys.sha256Hex("")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void newKeysAreRandomUrlSafeAndConfigurableByTheirHash() {
        final Set<String> keys = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            keys.add(ApiKeys.newKey());
        }
        assertThat(keys).hasSize(100).allSatisfy(key -> assertThat(key).matches("[A-Za-z0-9_-]{43}"));
        final String key = keys.iterator().next();
        final ApiKeys configured = ApiKeys.parse(List.of(ApiKeys.sha256Hex(key) + ":partner:acme"));
        assertThat(configured.authenticate(key)).contains(Caller.partner(ApiKeys.sha256Hex(key), "acme"));
    }

    @Test
    void onlyAConfiguredKeyAuthenticates() {
        final ApiKeys keys = ApiKeys.parse(List.of(ApiKeys.sha256Hex("admin-key") + ":admin",
                ApiKeys.sha256Hex("acme-key") + ":partner:acme"));

        assertThat(keys.authenticate("admin-key")).hasValueSatisfying(caller -> assertThat(caller.isAdmin()).isTrue());
        assertThat(keys.authenticate("acme-key"))
                .hasValueSatisfying(caller -> assertThat(caller.partnerId()).isEqualTo("acme"));
        assertThat(keys.authenticate("admin-key ")).isEmpty();
        assertThat(keys.authenticate(ApiKeys.sha256Hex("admin-key"))).isEmpty();
        assertThat(keys.authenticate("")).isEmpty();
        assertThat(keys.authenticate(null)).isEmpty();
        assertThat(ApiKeys.none().authenticate("admin-key")).isEmpty();
    }

    @Test
    void tooManyEntriesAreRefused() {
        final List<String> entries = Collections.nCopies(ApiKeys.ENTRIES_MAX + 1, ApiKeys.sha256Hex("k") + ":admin");
        assertThatThrownBy(() -> ApiKeys.parse(entries)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most");
    }

    @Test
    void anAdminMayAccessEveryPartnerAndAPartnerOnlyItself() {
        final Caller admin = Caller.admin("k1");
        final Caller acme = Caller.partner("k2", "acme");

        assertThat(admin.mayAccessPartner("acme")).isTrue();
        assertThat(admin.mayAccessPartner("globex")).isTrue();
        assertThat(acme.isAdmin()).isFalse();
        assertThat(acme.mayAccessPartner("acme")).isTrue();
        for (final String other : List.of("globex", "ACME", "acme ", "acm", "acme2", "")) {
            assertThat(acme.mayAccessPartner(other)).as(other).isFalse();
        }
        assertThat(acme.mayAccessPartner(null)).isFalse();
    }

    @Test
    void aViewerKeyIsNeitherAdminNorAnyPartner() {
        final ApiKeys keys = ApiKeys.parse(List.of(ApiKeys.sha256Hex("viewer-key") + ":viewer"));
        final Caller viewer = keys.authenticate("viewer-key").orElseThrow();

        assertThat(viewer).isEqualTo(Caller.viewer(ApiKeys.sha256Hex("viewer-key")));
        assertThat(viewer.viewer()).isTrue();
        assertThat(viewer.isAdmin()).isFalse();
        assertThat(viewer.mayAccessPartner("acme")).isFalse();
        assertThat(viewer.mayAccessPartner(null)).isFalse();
        assertThatThrownBy(() -> ApiKeys.parse(List.of(ApiKeys.sha256Hex("k") + ":viewer:acme")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'viewer'");
    }
}
