package io.bursar.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.schemas.CurrencyCodes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Typed, field-by-field reading of a JSON request body that collects every problem before failing:
 * the client gets all its field errors in one 400 answer. Unknown fields are errors too.
 */
final class RequestBody {

    /** Ids travel as Kafka keys and store keys: printable, bounded, no separators we use inside keys. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final JsonNode root;
    private final List<FieldError> errors = new ArrayList<>();

    private RequestBody(final JsonNode root) {
        this.root = root;
    }

    /** Parses {@code body}; an empty body reads as an empty object when {@code fields} allows it. */
    static RequestBody parse(final ObjectMapper mapper, final String body, final Set<String> fields) {
        final JsonNode root;
        try {
            root = body == null || body.isBlank() ? mapper.createObjectNode() : mapper.readTree(body);
        } catch (final JsonProcessingException e) {
            throw new InvalidRequestException(List.of(new FieldError("$", "not valid JSON: " + e.getOriginalMessage())));
        }
        if (root == null || !root.isObject()) {
            throw new InvalidRequestException(List.of(new FieldError("$", "must be a JSON object")));
        }
        final RequestBody request = new RequestBody(root);
        for (final Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            final String name = names.next();
            if (!fields.contains(name)) {
                request.errors.add(new FieldError(name, "unknown field"));
            }
        }
        return request;
    }

    /** A positive amount in minor units that fits a signed 64-bit integer. */
    long amountMinor(final String field) {
        final JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return missing(field);
        }
        if (!node.isIntegralNumber()) {
            return invalid(field, "must be an integer number of minor units");
        }
        if (!node.canConvertToLong()) {
            return invalid(field, "too large: at most " + Long.MAX_VALUE);
        }
        final long value = node.longValue();
        return value > 0 ? value : invalid(field, "must be positive");
    }

    /** A positive duration in milliseconds, at most {@code maxMs}. */
    long durationMs(final String field, final long maxMs) {
        final JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return missing(field);
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            return invalid(field, "must be an integer number of milliseconds");
        }
        final long value = node.longValue();
        if (value <= 0 || value > maxMs) {
            return invalid(field, "must be between 1 and " + maxMs);
        }
        return value;
    }

    /** An ISO-4217 alphabetic currency code. */
    String currency(final String field) {
        final String value = text(field);
        if (value == null) {
            return null;
        }
        if (!CurrencyCodes.isKnown(value)) {
            errors.add(new FieldError(field, "must be an ISO-4217 currency code such as EUR"));
            return null;
        }
        return value;
    }

    /** An identifier: 1 to 128 of {@code A-Z a-z 0-9 . _ : -}. */
    String id(final String field) {
        final String value = text(field);
        if (value != null && !ID.matcher(value).matches()) {
            errors.add(new FieldError(field, "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -"));
            return null;
        }
        return value;
    }

    /** Throws the collected errors, if any. */
    void validate() {
        if (!errors.isEmpty()) {
            throw new InvalidRequestException(errors);
        }
    }

    /** Checks a path or header value with the same rule as {@link #id}; throws at once when bad. */
    static String requireId(final String field, final String value) {
        if (value == null || !ID.matcher(value).matches()) {
            throw new InvalidRequestException(List.of(
                    new FieldError(field, "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -")));
        }
        return value;
    }

    private String text(final String field) {
        final JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            missing(field);
            return null;
        }
        if (!node.isTextual()) {
            errors.add(new FieldError(field, "must be a string"));
            return null;
        }
        return node.textValue();
    }

    private long missing(final String field) {
        errors.add(new FieldError(field, "required"));
        return 0;
    }

    private long invalid(final String field, final String message) {
        errors.add(new FieldError(field, message));
        return 0;
    }
}
