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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Typed, field-by-field reading of a JSON request body that collects every problem before failing:
 * the client gets all its field errors in one 400 answer. Unknown fields are errors too. Nested objects and
 * arrays of objects are read by child bodies that report into the same list, under their path
 * ({@code payment.method}, {@code items[2].quantity}).
 */
final class RequestBody {

    /** Ids travel as Kafka keys and store keys: printable, bounded, no separators we use inside keys. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String ID_RULE = "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -";

    private final JsonNode root;
    /** Where this body sits in the request: empty for the whole body, else e.g. {@code items[2]}. */
    private final String path;
    private final List<FieldError> errors;

    private RequestBody(final JsonNode root, final String path, final List<FieldError> errors) {
        this.root = root;
        this.path = path;
        this.errors = errors;
    }

    /** Parses {@code body}; an empty body reads as an empty object when {@code fields} allows it. */
    /** Jackson's message for a field given twice, with the field's name. */
    private static final Pattern DUPLICATE_FIELD = Pattern.compile("^Duplicate field '([^']*)'");

    static RequestBody parse(final ObjectMapper mapper, final String body, final Set<String> fields) {
        final JsonNode root;
        try {
            root = body == null || body.isBlank() ? mapper.createObjectNode() : mapper.readTree(body);
        } catch (final JsonProcessingException e) {
            // The mapper refuses a field given twice ({"amountMinor": 1, "amountMinor": 999999999}): which one meant?
            final Matcher duplicate = DUPLICATE_FIELD.matcher(String.valueOf(e.getOriginalMessage()));
            if (duplicate.find()) {
                throw new InvalidRequestException(List.of(new FieldError(duplicate.group(1), "given more than once")));
            }
            throw new InvalidRequestException(List.of(new FieldError("$", "not valid JSON: " + e.getOriginalMessage())));
        }
        if (root == null || !root.isObject()) {
            throw new InvalidRequestException(List.of(new FieldError("$", "must be a JSON object")));
        }
        return new RequestBody(root, "", new ArrayList<>()).checkedAgainst(fields);
    }

    /** The nested object {@code field}, whose fields must be among {@code fields}; null (reported) when not one. */
    RequestBody object(final String field, final Set<String> fields) {
        final JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            missing(field);
            return null;
        }
        if (!node.isObject()) {
            invalid(field, "must be a JSON object");
            return null;
        }
        return new RequestBody(node, name(field), errors).checkedAgainst(fields);
    }

    /**
     * The array of objects {@code field}, 1 to {@code sizeMax} of them, each with fields among {@code fields};
     * entries that are not objects are reported and left out.
     */
    List<RequestBody> objects(final String field, final Set<String> fields, final int sizeMax) {
        final JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            missing(field);
            return List.of();
        }
        if (!node.isArray()) {
            invalid(field, "must be a JSON array");
            return List.of();
        }
        if (node.isEmpty() || node.size() > sizeMax) {
            invalid(field, "must have 1 to " + sizeMax + " entries");
            return List.of();
        }
        final List<RequestBody> entries = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            final String entry = field + "[" + i + "]";
            if (node.get(i).isObject()) {
                entries.add(new RequestBody(node.get(i), name(entry), errors).checkedAgainst(fields));
            } else {
                invalid(entry, "must be a JSON object");
            }
        }
        return entries;
    }

    /** The array of strings {@code field}, 1 to {@code sizeMax} of them, each 1 to {@code lengthMax} characters. */
    List<String> texts(final String field, final int lengthMax, final int sizeMax) {
        final JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            missing(field);
            return List.of();
        }
        if (!node.isArray() || node.isEmpty() || node.size() > sizeMax) {
            invalid(field, "must be a JSON array of 1 to " + sizeMax + " strings");
            return List.of();
        }
        final List<String> values = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            final JsonNode entry = node.get(i);
            if (entry.isTextual() && !entry.textValue().isBlank() && entry.textValue().length() <= lengthMax) {
                values.add(entry.textValue());
            } else {
                invalid(field + "[" + i + "]", "must be a string of 1 to " + lengthMax + " characters");
            }
        }
        return values;
    }

    private RequestBody checkedAgainst(final Set<String> fields) {
        for (final Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            final String field = names.next();
            if (!fields.contains(field)) {
                invalid(field, "unknown field");
            }
        }
        return this;
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

    /** An integer from {@code min} to {@code max}. */
    long integer(final String field, final long min, final long max) {
        final JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return missing(field);
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong()
                || node.longValue() < min || node.longValue() > max) {
            return invalid(field, "must be an integer from " + min + " to " + max);
        }
        return node.longValue();
    }

    /** An integer other than 0 (a change, say). */
    long nonZeroInteger(final String field) {
        final int before = errors.size();
        final long value = integer(field, Long.MIN_VALUE, Long.MAX_VALUE);
        if (errors.size() == before && value == 0) {
            invalid(field, "must not be 0");
        }
        return value;
    }

    /** A boolean; {@code absent} when the field is absent or null. */
    boolean flag(final String field, final boolean absent) {
        final JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return absent;
        }
        if (!node.isBoolean()) {
            invalid(field, "must be true or false");
            return absent;
        }
        return node.booleanValue();
    }

    /** Text of 1 to {@code lengthMax} characters, not only white space. */
    String text(final String field, final int lengthMax) {
        final String value = text(field);
        if (value != null && (value.isBlank() || value.length() > lengthMax)) {
            invalid(field, "must be 1 to " + lengthMax + " characters, not only white space");
            return null;
        }
        return value;
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
            invalid(field, "must be an ISO-4217 currency code such as EUR");
            return null;
        }
        return value;
    }

    /** An identifier: 1 to 128 of {@code A-Z a-z 0-9 . _ : -}. */
    String id(final String field) {
        final String value = text(field);
        if (value != null && !isId(value)) {
            invalid(field, ID_RULE);
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
            invalid(field, "must be 1 to 63 characters of a-z 0-9 _ -, starting with a-z or 0-9");
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
        invalid(field, "must be one of " + allowed.stream().map(Enum::name).collect(Collectors.joining(", ")));
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
            invalid(field, why);
        }
    }

    /** Reports {@code field} as an error when it is absent: the rest of the body needs it. */
    void require(final String field, final String why) {
        if (!has(field)) {
            invalid(field, why);
        }
    }

    /** Reports {@code field} as an error: a check beyond its form failed (an unknown item, say). */
    void report(final String field, final String why) {
        invalid(field, why);
    }

    /** Throws the collected errors, if any. */
    void validate() {
        if (!errors.isEmpty()) {
            throw new InvalidRequestException(errors);
        }
    }

    /** Checks a path or header value with the same rule as {@link #id}; throws at once when bad. */
    static String requireId(final String field, final String value) {
        if (value == null || !isId(value)) {
            throw new InvalidRequestException(List.of(new FieldError(field, ID_RULE)));
        }
        return value;
    }

    /** True when {@code value} follows the id rule of {@link #id}. */
    static boolean isId(final String value) {
        return ID.matcher(value).matches();
    }

    private String text(final String field) {
        final JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            missing(field);
            return null;
        }
        if (!node.isTextual()) {
            invalid(field, "must be a string");
            return null;
        }
        return node.textValue();
    }

    /** Reports {@code field}, which the request may name but not here, for {@code why}. */
    void unexpected(final String field, final String why) {
        invalid(field, why);
    }

    private long missing(final String field) {
        return invalid(field, "required");
    }

    private long invalid(final String field, final String message) {
        errors.add(new FieldError(name(field), message));
        return 0;
    }

    /** {@code field} as the client names it: with this body's path in front. */
    private String name(final String field) {
        return path.isEmpty() ? field : path + "." + field;
    }
}
