package io.bursar.app.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One persistent HTTP/1.1 connection for a load generator: a blocking request, then its answer, over the same
 * socket. A benchmark that shares two cores with the server measures the server only if the client is cheap:
 * {@code java.net.http.HttpClient} hands every exchange between a selector thread and an executor, which cost
 * about as much CPU here as the gateway's own work on each request.
 *
 * <p>{@link NioHttp} sends the benchmark's mix with the same request and answer format, over many such
 * connections on one thread; this blocking one loads the demo's items first.
 *
 * <p>Not thread-safe: one per sending thread. When a reused connection fails (the server may have closed
 * it while idle), the request is sent once more over a new one; the benchmark's orders carry their own ids,
 * so a repeat that did reach the server is rejected ORDER_ALREADY_EXISTS rather than ordering twice.
 */
final class KeepAliveHttp implements Closeable {

    /** Status and body of one answer. */
    record Answer(int status, String body) {
    }

    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int HEADER_LINE_BYTES_MAX = 8_192;
    private static final int BODY_BYTES_MAX = 16 * 1024 * 1024;

    private final String host;
    private final int port;
    private final int readTimeoutMs;
    private final String fixedHeaders;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    /** {@code base} is {@code http://host:port}; {@code bearer} is sent with every request. */
    KeepAliveHttp(final String base, final String bearer, final int readTimeoutMs) {
        final URI uri = URI.create(base);
        this.host = uri.getHost();
        this.port = uri.getPort();
        this.readTimeoutMs = readTimeoutMs;
        this.fixedHeaders = fixedHeaders(host, port, bearer);
    }

    /** Sends one request ({@code body} null for none) and reads its whole answer. */
    Answer send(final String method, final String path, final String body) throws IOException {
        final boolean reused = socket != null;
        try {
            return exchange(method, path, body);
        } catch (final IOException e) {
            close();
            if (!reused) {
                throw e;
            }
            // The server may close a connection it kept idle: one fresh connection, no other retry.
            return exchange(method, path, body);
        }
    }

    private Answer exchange(final String method, final String path, final String body) throws IOException {
        if (socket == null) {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
            socket.setSoTimeout(readTimeoutMs);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }
        final byte[] request = request(method, path, body, fixedHeaders);
        out.write(request);
        out.flush();
        final Parsed parsed = readAnswer(in);
        if (parsed.closes()) {
            close();
        }
        return parsed.answer();
    }

    /** The head of every request to {@code base} ({@code http://host:port}): host and bearer key. */
    static String fixedHeaders(final String host, final int port, final String bearer) {
        return "Host: " + host + ":" + port + "\r\nAuthorization: Bearer " + bearer + "\r\n";
    }

    /** One whole HTTP/1.1 request: {@code fixedHeaders}, then a JSON {@code body} when not null. */
    static byte[] request(final String method, final String path, final String body, final String fixedHeaders) {
        final byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        final StringBuilder head = new StringBuilder(256).append(method).append(' ').append(path)
                .append(" HTTP/1.1\r\n").append(fixedHeaders);
        if (body != null) {
            head.append("Content-Type: application/json\r\n");
        }
        head.append("Content-Length: ").append(content.length).append("\r\n\r\n");
        final byte[] headBytes = head.toString().getBytes(StandardCharsets.US_ASCII);
        final byte[] request = new byte[headBytes.length + content.length];
        System.arraycopy(headBytes, 0, request, 0, headBytes.length);
        System.arraycopy(content, 0, request, headBytes.length, content.length);
        return request;
    }

    /** An answer, and whether the server closes the connection after it. */
    record Parsed(Answer answer, boolean closes) {
    }

    /**
     * Reads one whole answer from {@code in}; {@link EOFException} when the stream ends before the answer does
     * (a caller holding part of an answer can try again with more bytes).
     */
    static Parsed readAnswer(final InputStream in) throws IOException {
        final String statusLine = line(in);
        final String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP status line: " + statusLine);
        }
        final int status = Integer.parseInt(parts[1]);
        int length = -1;
        boolean chunked = false;
        boolean closes = false;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            final int colon = header.indexOf(':');
            if (colon < 0) {
                continue;
            }
            final String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            final String value = header.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Integer.parseInt(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> closes = value.equalsIgnoreCase("close");
                default -> { }
            }
        }
        final String body;
        if (chunked) {
            body = chunkedBody(in);
        } else if (length >= 0) {
            body = new String(bytes(in, length), StandardCharsets.UTF_8);
        } else {
            throw new IOException("answer with neither Content-Length nor chunked encoding");
        }
        return new Parsed(new Answer(status, body), closes);
    }

    private static String chunkedBody(final InputStream in) throws IOException {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            final String sizeLine = line(in);
            final int semicolon = sizeLine.indexOf(';');
            final int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
            if (size == 0) {
                while (!line(in).isEmpty()) {
                    // trailers: none expected, all skipped
                }
                return body.toString(StandardCharsets.UTF_8);
            }
            if (body.size() + size > BODY_BYTES_MAX) {
                throw new IOException("answer body above " + BODY_BYTES_MAX + " bytes");
            }
            body.write(bytes(in, size));
            line(in);
        }
    }

    private static byte[] bytes(final InputStream in, final int count) throws IOException {
        if (count > BODY_BYTES_MAX) {
            throw new IOException("answer body above " + BODY_BYTES_MAX + " bytes");
        }
        final byte[] bytes = in.readNBytes(count);
        if (bytes.length < count) {
            throw new EOFException("connection closed inside an answer");
        }
        return bytes;
    }

    /** One CRLF-ended line, without the CRLF. */
    private static String line(final InputStream in) throws IOException {
        final StringBuilder line = new StringBuilder(64);
        while (true) {
            final int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed");
            }
            if (b == '\n') {
                final int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            if (line.length() >= HEADER_LINE_BYTES_MAX) {
                throw new IOException("header line above " + HEADER_LINE_BYTES_MAX + " bytes");
            }
            line.append((char) b);
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (final IOException ignored) {
                // closing a connection we no longer use: nothing to do
            }
        }
        socket = null;
        in = null;
        out = null;
    }
}
