package io.bursar.gateway;

import io.javalin.http.Context;
import java.util.Objects;

/**
 * Who made a request: the API key (by its hash) and what it may touch. Stored on every authenticated
 * request so that handlers of resources not keyed by partner can check ownership after reading them.
 *
 * @param keyId     the hex SHA-256 of the key: names the key in rate limits, never reveals it
 * @param partnerId the one partner this caller may act for and read, or null for an admin or a viewer
 * @param viewer    true for a viewer: reads the live figures ({@link RouteAccess#FIGURES} routes) and nothing else
 */
public record Caller(String keyId, String partnerId, boolean viewer) {

    /** The request attribute under which the authenticated caller is stored. */
    static final String ATTRIBUTE = "bursar.caller";

    public Caller {
        Objects.requireNonNull(keyId, "keyId");
        if (viewer && partnerId != null) {
            throw new IllegalArgumentException("a viewer acts for no partner");
        }
    }

    /** An administrator: may do everything. */
    public static Caller admin(final String keyId) {
        return new Caller(keyId, null, false);
    }

    /** A partner: may act on and read only {@code partnerId}'s resources. */
    public static Caller partner(final String keyId, final String partnerId) {
        return new Caller(keyId, Objects.requireNonNull(partnerId, "partnerId"), false);
    }

    /** A viewer: may read the live operations figures, nothing else (no command, no balance, no dead letter). */
    public static Caller viewer(final String keyId) {
        return new Caller(keyId, null, true);
    }

    /** True for an administrator. */
    public boolean isAdmin() {
        return partnerId == null && !viewer;
    }

    /** True when this caller may act on or read resources of {@code partnerId}; refuse with 404, not 403. */
    public boolean mayAccessPartner(final String partnerId) {
        return isAdmin() || this.partnerId != null && this.partnerId.equals(partnerId);
    }

    /** The caller of an authenticated request; a route that needs one must not be declared open. */
    public static Caller of(final Context ctx) {
        final Caller caller = ctx.attribute(ATTRIBUTE);
        if (caller == null) {
            throw new IllegalStateException("no caller on " + ctx.method() + " " + ctx.path() + ": route is open");
        }
        return caller;
    }
}
