package io.bursar.gateway;

import io.javalin.http.Context;

/**
 * Runs before every matched route that is not {@link RouteAccess#OPEN}: who is calling (401), within its
 * rate (429), of a role the route admits (403: a viewer key only on {@link RouteAccess#FIGURES} routes, and those
 * to admins and viewers only), and allowed to touch the path's partner (404, as if it did not exist). Runs before the
 * handler reads the body, so a refused request costs a hash and a compare-and-set, and publishes nothing.
 * A route scoped to one partner must name that path parameter {@value #PARTNER_ID}; routes keyed by other
 * ids check {@link Caller#mayAccessPartner} once they have read the resource.
 */
final class AccessControl {

    static final String AUTHORIZATION = "Authorization";
    static final String API_KEY = "X-Api-Key";
    static final String PARTNER_ID = "partnerId";
    private static final String BEARER = "bearer ";

    private final ApiKeys keys;
    private final RateLimiter limiter;

    AccessControl(final ApiKeys keys, final RateLimiter limiter) {
        this.keys = keys;
        this.limiter = limiter;
    }

    void check(final Context ctx) {
        if (ctx.routeRoles().contains(RouteAccess.OPEN)) {
            return;
        }
        final Caller caller = keys.authenticate(presentedKey(ctx)).orElseThrow(UnauthorizedException::new);
        limiter.acquire(caller.keyId());
        final boolean figures = ctx.routeRoles().contains(RouteAccess.FIGURES);
        if (caller.viewer() && !figures) {
            throw new ForbiddenException("a viewer key reads the live figures only");
        }
        if (figures && !caller.isAdmin() && !caller.viewer()) {
            throw new ForbiddenException("the live figures cover every partner: they are read with an admin or a "
                    + "viewer key");
        }
        final String partnerId = ctx.pathParamMap().get(PARTNER_ID);
        if (partnerId != null && !caller.mayAccessPartner(partnerId)) {
            throw NotFoundException.partner(partnerId);
        }
        ctx.attribute(Caller.ATTRIBUTE, caller);
    }

    /** The key from {@code Authorization: Bearer <key>}, else from {@code X-Api-Key}; null when neither. */
    private static String presentedKey(final Context ctx) {
        final String authorization = ctx.header(AUTHORIZATION);
        if (authorization != null) {
            // The scheme is case-insensitive (RFC 9110); another scheme is no key at all.
            return authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                    ? authorization.substring(BEARER.length()).strip() : null;
        }
        return ctx.header(API_KEY);
    }
}
