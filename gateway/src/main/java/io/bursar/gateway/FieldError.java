package io.bursar.gateway;

/** One problem with one field of a request, as returned in a 400 answer. */
public record FieldError(String field, String message) {
}
