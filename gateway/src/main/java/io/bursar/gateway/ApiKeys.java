package io.bursar.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The configured API keys, kept only as SHA-256 hashes with the role each grants: a leaked configuration
 * or heap dump does not give the keys away. Entries read {@code <sha256-hex>:admin},
 * {@code <sha256-hex>:partner:<partnerId>} or {@code <sha256-hex>:viewer} (the live figures, read-only).
 */
public final class ApiKeys {

    /** Bounds the configuration and so the per-request work of the constant-time scan. */
    public static final int ENTRIES_MAX = 1_000;
    /** Longer presented keys are refused unhashed: nobody gets to make us hash megabytes per request. */
    static final int PRESENTED_KEY_LENGTH_MAX = 256;

    private static final int HASH_HEX_LENGTH = 64;
    private static final int NEW_KEY_BYTES = 32;
    private static final String ADMIN = "admin";
    private static final String VIEWER = "viewer";
    private static final String PARTNER_PREFIX = "partner:";
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{" + HASH_HEX_LENGTH + "}");
    /** The same rule as ids in request paths, so a configured partner can match a path. */
    private static final Pattern PARTNER_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<Entry> entries;

    private record Entry(byte[] hash, Caller caller) {
    }

    private ApiKeys(final List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** Parses configured entries; throws IllegalArgumentException naming the bad entry by position, never its text. */
    public static ApiKeys parse(final List<String> configured) {
        if (configured.size() > ENTRIES_MAX) {
            throw new IllegalArgumentException("at most " + ENTRIES_MAX + " API keys, got " + configured.size());
        }
        final List<Entry> entries = new ArrayList<>(configured.size());
        final Set<String> hashes = new HashSet<>();
        for (int i = 0; i < configured.size(); i++) {
            final String entry = configured.get(i).trim();
            final String where = "API key entry " + (i + 1) + " of " + configured.size() + ": ";
            if (entry.length() <= HASH_HEX_LENGTH || entry.charAt(HASH_HEX_LENGTH) != ':'
                    || !HEX.matcher(entry.substring(0, HASH_HEX_LENGTH)).matches()) {
                throw new IllegalArgumentException(where + "must start with the 64 hex characters of the key's "
                        + "SHA-256 (not the key itself) followed by ':'");
            }
            final String hashHex = entry.substring(0, HASH_HEX_LENGTH).toLowerCase(Locale.ROOT);
            if (!hashes.add(hashHex)) {
                throw new IllegalArgumentException(where + "the same key hash is configured twice");
            }
            entries.add(new Entry(HexFormat.of().parseHex(hashHex), role(where, hashHex,
                    entry.substring(HASH_HEX_LENGTH + 1))));
        }
        return new ApiKeys(entries);
    }

    /** No keys: every request that needs one is refused. */
    public static ApiKeys none() {
        return new ApiKeys(List.of());
    }

    /** The lowercase hex SHA-256 of {@code key}'s UTF-8 bytes: what {@code auth.api.keys} holds for that key. */
    public static String sha256Hex(final String key) {
        return HexFormat.of().formatHex(sha256(key));
    }

    /** A new random key (256 bits, URL-safe Base64, 43 characters), for demos and operators. */
    public static String newKey() {
        final byte[] bytes = new byte[NEW_KEY_BYTES];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The caller a presented key identifies, if any; takes the same time whichever entry matches. */
    Optional<Caller> authenticate(final String presentedKey) {
        if (presentedKey == null || presentedKey.isEmpty() || presentedKey.length() > PRESENTED_KEY_LENGTH_MAX) {
            return Optional.empty();
        }
        final byte[] hash = sha256(presentedKey);
        Caller found = null;
        // No early exit and MessageDigest.isEqual: timing reveals neither which entry matched nor how much of it.
        for (final Entry entry : entries) {
            if (MessageDigest.isEqual(entry.hash(), hash)) {
                found = entry.caller();
            }
        }
        return Optional.ofNullable(found);
    }

    /** How many keys are configured. */
    public int size() {
        return entries.size();
    }

    private static Caller role(final String where, final String hashHex, final String role) {
        if (role.equals(ADMIN)) {
            return Caller.admin(hashHex);
        }
        if (role.equals(VIEWER)) {
            return Caller.viewer(hashHex);
        }
        if (role.startsWith(PARTNER_PREFIX) && PARTNER_ID.matcher(role.substring(PARTNER_PREFIX.length())).matches()) {
            return Caller.partner(hashHex, role.substring(PARTNER_PREFIX.length()));
        }
        throw new IllegalArgumentException(where + "role must be 'admin', 'viewer' or 'partner:<partnerId>' with a "
                + "partnerId of 1 to 128 characters of A-Z a-z 0-9 . _ : -");
    }

    private static byte[] sha256(final String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }
}
