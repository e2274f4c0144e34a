package io.bursar.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.schemas.CurrencyCodes;
import io.bursar.schemas.ProviderIds;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

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

    /** Like {@link #id}, but absent (or null) is allowed and reads as null. */
    String optionalId(final String field) {
        return has(field) ? id(field) : null;
    }

    /** A provider id by the one rule the connectors and the dispatcher use ({@link ProviderIds}). */
    String providerId(final String field) {
        final String value = text(field);
        if (value != null && !ProviderIds.isValid(value)) {
            errors.add(new FieldError(field, "must be 1 to 63 characters of a-z 0-9 _ -, starting with a-z or 0-9"));
            return null;
        }
        return value;
    }

    /** One of {@code allowed}, by its exact name. */
    <E extends Enum<E>> E oneOf(final String field, final Collection<E> allowed) {
        final String value = text(field);
        if (value == null) {
            return null;
        }
        for (final E candidate : allowed) {
            if (candidate.name().equals(value)) {
                return candidate;
            }
        }
        errors.add(new FieldError(field, "must be one of "
                + allowed.stream().map(Enum::name).collect(Collectors.joining(", "))));
        return null;
    }

    /** True when {@code field} is present and not null. */
    boolean has(final String field) {
        final JsonNode node = root.get(field);
        return node != null && !node.isNull();
    }

    /** Reports {@code field} as an error when it is present: it does not go with the rest of the body. */
    void refuse(final String field, final String why) {
        if (has(field)) {
            errors.add(new FieldError(field, why));
        }
    }

    /** Reports {@code field} as an error when it is absent: the rest of the body needs it. */
    void require(final String field, final String why) {
        if (!has(field)) {
            errors.add(new FieldError(field, why));
        }
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
