package io.bursar.gateway;

import io.javalin.security.RouteRole;

/** Marks routes that need no API key; every route without it requires one, so a forgotten mark fails closed. */
enum RouteAccess implements RouteRole {
    /** Health, metrics and the API description: probes and scrapers carry no key. */
    OPEN
}
