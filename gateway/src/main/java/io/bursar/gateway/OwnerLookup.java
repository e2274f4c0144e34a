package io.bursar.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.queries.OwnerRouter;
import io.bursar.queries.PeerForwarder;
import io.bursar.queries.RoutedRead;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a command on an existing resource (a refund, a cancel) needs to know before it is published, such
 * as the partition key: read as the resource's own GET route wherever it lives — here, or from the owner's
 * JSON answer, which the owner gave for the caller's own credentials, so the caller's access rules hold. The answer
 * comes through a future: no thread waits for a peer.
 */
final class OwnerLookup {

    private final ObjectMapper mapper;

    OwnerLookup(final ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * @param readPath  the GET route of the resource (a forwarded read is a GET of it, never the command's path)
     * @param fromValue what is needed, from the resource read here; empty when it lacks it
     * @param fromJson  the same, from the owner's JSON answer; empty when the answer lacks it
     * @param notFound  the 404 for an unknown resource or one the caller may not see
     * @param what      the resource, for messages
     */
    <V, R> CompletableFuture<R> find(final RoutedRead<V> reads, final String key, final String readPath,
                                     final Context ctx, final Function<V, Optional<R>> fromValue,
                                     final Function<JsonNode, Optional<R>> fromJson,
                                     final Supplier<NotFoundException> notFound, final String what) {
        final OwnerRouter.Request read = new OwnerRouter.Request(readPath, ReadHandlers.credentials(ctx), false, false);
        return reads.readAsync(key, read, Duration.ZERO)
                .thenApply(outcome -> from(outcome, fromValue, fromJson, notFound, what));
    }

    private <V, R> R from(final OwnerRouter.Outcome<V> outcome, final Function<V, Optional<R>> fromValue,
                          final Function<JsonNode, Optional<R>> fromJson, final Supplier<NotFoundException> notFound,
                          final String what) {
        if (outcome instanceof OwnerRouter.Outcome.Local<V> local) {
            return fromValue.apply(local.value()).orElseThrow(notFound);
        } else if (outcome instanceof OwnerRouter.Outcome.Relayed<V> relayed) {
            return fromAnswer(relayed.answer(), fromJson, notFound, what);
        } else if (outcome instanceof OwnerRouter.Outcome.Unavailable<V> unavailable) {
            throw new UnavailableException(unavailable.reason());
        }
        throw notFound.get();
    }

    private <R> R fromAnswer(final PeerForwarder.Answer answer, final Function<JsonNode, Optional<R>> fromJson,
                             final Supplier<NotFoundException> notFound, final String what) {
        if (answer.status() == HttpStatus.NOT_FOUND.getCode()) {
            throw notFound.get();
        }
        if (answer.status() != HttpStatus.OK.getCode()) {
            throw new UnavailableException("the " + what + "'s owner answered " + answer.status());
        }
        try {
            final Optional<R> found = fromJson.apply(mapper.readTree(answer.body()));
            if (found.isPresent()) {
                return found.get();
            }
        } catch (final JsonProcessingException e) {
            // Reported below: a peer of another version, or a broken answer; the client may retry.
        }
        throw new UnavailableException("the " + what + "'s owner answered without what a command needs");
    }
}
