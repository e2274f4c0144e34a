package io.bursar.gateway;

import io.javalin.security.RouteRole;

/**
 * Marks routes by who may call them. A route without a mark needs an admin or partner key, so a forgotten mark
 * fails closed: a viewer key is refused everywhere but on {@link #FIGURES} routes.
 */
enum RouteAccess implements RouteRole {
    /** Health, metrics, the API description and the live page's static files: probes and browsers carry no key. */
    OPEN,
    /** The live operations figures: an admin or a viewer key; a partner key is refused (they cover every partner). */
    FIGURES
}
