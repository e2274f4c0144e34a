package io.bursar.app.bench;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;

/**
 * Keep-alive HTTP/1.1 connections driven by one selector thread, for a load generator: a request is handed to
 * an idle connection (or a new one), its answer completes a future on that thread. Unlike a blocking sender
 * per open request, the whole load costs one thread and a write, a read and a share of one {@code epoll}
 * per request, so a generator sharing the server's cores takes little from it.
 *
 * <p>Requests queued with {@link #send} go out at the next {@link #flush} (one wake-up of the selector for
 * a whole batch). Callers bound how many requests are open; each has its own connection, no pipelining. A
 * request whose reused connection fails before any answer is sent once more over a new connection, as
 * {@link KeepAliveHttp} does; an answer not complete after the read timeout fails the request.
 */
final class NioHttp implements Closeable {

    private static final int READ_BUFFER_BYTES = 16 * 1024;
    private static final long SELECT_TIMEOUT_MS = 50;
    private static final long EXPIRY_CHECK_NANOS = 100_000_000L;

    private final InetSocketAddress address;
    private final String fixedHeaders;
    private final long readTimeoutNanos;
    private final int connectionsMax;
    private final Selector selector;
    private final Queue<Exchange> queued = new ConcurrentLinkedQueue<>();
    private final ArrayDeque<Connection> idle = new ArrayDeque<>();
    private final List<Connection> busy = new ArrayList<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_BUFFER_BYTES);
    private final Thread loop;
    private volatile boolean open = true;
    private long lastExpiryCheckNanos = System.nanoTime();

    /** {@code base} is {@code http://host:port}; {@code bearer} is sent with every request. */
    NioHttp(final String base, final String bearer, final int readTimeoutMs) throws IOException {
        this(base, bearer, readTimeoutMs, Integer.MAX_VALUE);
    }

    /**
     * As {@link #NioHttp(String, String, int)}, over {@code connectionsMax} connections at most (as wrk's
     * {@code -c}): a request sent while all are busy waits for the next one free. A generator that opened a
     * connection per waiting request would answer any hiccup of the server with a burst of new connections, and
     * measure the burst.
     */
    NioHttp(final String base, final String bearer, final int readTimeoutMs, final int connectionsMax)
            throws IOException {
        this.connectionsMax = connectionsMax;
        final URI uri = URI.create(base);
        this.address = new InetSocketAddress(uri.getHost(), uri.getPort());
        this.fixedHeaders = KeepAliveHttp.fixedHeaders(uri.getHost(), uri.getPort(), bearer);
        this.readTimeoutNanos = readTimeoutMs * 1_000_000L;
        this.selector = Selector.open();
        this.loop = new Thread(this::run, "bench-http");
        this.loop.setDaemon(true);
        this.loop.start();
    }

    /** Queues one request ({@code body} null for none); it is sent at the next {@link #flush}. */
    CompletableFuture<KeepAliveHttp.Answer> send(final String method, final String path, final String body) {
        final Exchange exchange = new Exchange(KeepAliveHttp.request(method, path, body, fixedHeaders));
        if (!open) {
            exchange.answer.completeExceptionally(new IOException("closed"));
        } else {
            queued.add(exchange);
        }
        return exchange.answer;
    }

    /** Sends what was queued. */
    void flush() {
        selector.wakeup();
    }

    @Override
    public void close() {
        open = false;
        selector.wakeup();
        try {
            loop.join(5_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        Exception failure = new IOException("closed");
        try {
            while (open) {
                selector.select(SELECT_TIMEOUT_MS);
                for (final SelectionKey key : selector.selectedKeys()) {
                    handle(key);
                }
                selector.selectedKeys().clear();
                while (!queued.isEmpty() && (!idle.isEmpty() || busy.size() < connectionsMax)) {
                    start(queued.poll(), idle.pollFirst());
                }
                expireLate();
            }
        } catch (final IOException | RuntimeException e) {
            failure = e;
        } finally {
            failAll(failure);
            try {
                selector.close();
            } catch (final IOException ignored) {
                // the selector is no longer used
            }
        }
    }

    /** Sends {@code exchange} over {@code connection}, or over a new one when it is null. */
    private void start(final Exchange exchange, final Connection reused) {
        Connection connection = reused;
        try {
            if (connection == null) {
                final SocketChannel channel = SocketChannel.open();
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                connection = new Connection(channel);
                final boolean connected = channel.connect(address);
                connection.key = channel.register(selector, connected ? 0 : SelectionKey.OP_CONNECT, connection);
                connection.connecting = !connected;
            }
            connection.begin(exchange, reused != null);
            busy.add(connection);
            if (!connection.connecting) {
                write(connection);
            }
        } catch (final IOException e) {
            if (connection == null) {
                exchange.answer.completeExceptionally(e);
            } else {
                fail(connection, e);
            }
        }
    }

    private void handle(final SelectionKey key) {
        final Connection connection = (Connection) key.attachment();
        if (!key.isValid()) {
            return;
        }
        try {
            if (key.isConnectable()) {
                connection.channel.finishConnect();
                connection.connecting = false;
                write(connection);
            } else if (key.isWritable()) {
                write(connection);
            } else if (key.isReadable()) {
                read(connection);
            }
        } catch (final IOException e) {
            fail(connection, e);
        }
    }

    private void write(final Connection connection) throws IOException {
        connection.channel.write(connection.request);
        connection.key.interestOps(connection.request.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    private void read(final Connection connection) throws IOException {
        readBuffer.clear();
        final int count = connection.channel.read(readBuffer);
        if (count < 0) {
            throw new EOFException("connection closed by the server");
        }
        connection.received(readBuffer.array(), count);
        final KeepAliveHttp.Parsed parsed;
        try {
            parsed = KeepAliveHttp.readAnswer(new ByteArrayInputStream(connection.received, 0, connection.length));
        } catch (final EOFException partial) {
            return; // the rest of the answer is still on its way
        }
        final Exchange exchange = connection.exchange;
        busy.remove(connection);
        connection.exchange = null;
        if (parsed.closes()) {
            close(connection);
        } else {
            connection.key.interestOps(0);
            idle.addFirst(connection);
        }
        exchange.answer.complete(parsed.answer());
    }

    /** A connection failed: its request goes once more over a new connection if this one was reused. */
    private void fail(final Connection connection, final IOException error) {
        busy.remove(connection);
        close(connection);
        final Exchange exchange = connection.exchange;
        connection.exchange = null;
        if (exchange == null) {
            return;
        }
        if (connection.reused && connection.length == 0) {
            exchange.request.rewind();
            start(exchange, null);
        } else {
            exchange.answer.completeExceptionally(error);
        }
    }

    private void expireLate() {
        final long now = System.nanoTime();
        if (now - lastExpiryCheckNanos < EXPIRY_CHECK_NANOS) {
            return;
        }
        lastExpiryCheckNanos = now;
        for (final Connection connection : List.copyOf(busy)) {
            if (now - connection.startedNanos > readTimeoutNanos) {
                final Exchange exchange = connection.exchange;
                busy.remove(connection);
                close(connection);
                connection.exchange = null;
                exchange.answer.completeExceptionally(new TimeoutException("no whole answer in time"));
            }
        }
    }

    private void failAll(final Exception error) {
        for (final Connection connection : List.copyOf(busy)) {
            close(connection);
            if (connection.exchange != null) {
                connection.exchange.answer.completeExceptionally(error);
            }
        }
        busy.clear();
        idle.forEach(this::close);
        idle.clear();
        for (Exchange exchange = queued.poll(); exchange != null; exchange = queued.poll()) {
            exchange.answer.completeExceptionally(error);
        }
    }

    private void close(final Connection connection) {
        try {
            connection.channel.close();
        } catch (final IOException ignored) {
            // a connection we no longer use
        }
    }

    /** One request and the answer it waits for. */
    private static final class Exchange {
        final ByteBuffer request;
        final CompletableFuture<KeepAliveHttp.Answer> answer = new CompletableFuture<>();

        Exchange(final byte[] request) {
            this.request = ByteBuffer.wrap(request);
        }
    }

    /** One socket, with the request it serves (if any) and the answer bytes received so far. */
    private static final class Connection {
        final SocketChannel channel;
        SelectionKey key;
        boolean connecting;
        Exchange exchange;
        ByteBuffer request;
        boolean reused;
        long startedNanos;
        byte[] received = new byte[READ_BUFFER_BYTES];
        int length;

        Connection(final SocketChannel channel) {
            this.channel = channel;
        }

        void begin(final Exchange next, final boolean wasIdle) {
            exchange = next;
            request = next.request;
            reused = wasIdle;
            startedNanos = System.nanoTime();
            length = 0;
        }

        void received(final byte[] bytes, final int count) {
            if (length + count > received.length) {
                received = Arrays.copyOf(received, Math.max(received.length * 2, length + count));
            }
            System.arraycopy(bytes, 0, received, length, count);
            length += count;
        }
    }
}
