package io.hakobu.protocol;

import io.hakobu.core.pipeline.Backoff;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Counter;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent end: keeps one connection to one of its endpoints, sends BATCH frames with at most
 * {@code window} of them unacknowledged, and completes a {@link #send} when the aggregator
 * acknowledged every frame of it. Several sends may be outstanding: their frames queue in send
 * order and go out in that order. A lost connection (refused, reset, ERROR frame, heartbeat
 * timeout, no acknowledgement for {@code ack_timeout}) is replaced, after exponential backoff with
 * jitter once every endpoint failed in a row, and everything not yet acknowledged is sent again,
 * in order: the aggregator drops what it already committed, so this is safe. A send therefore
 * never fails while the client is open; it completes exceptionally only when the client closes.
 * While frames wait longer than {@code ack_timeout}, {@link #problem()} says why.
 *
 * <p>Endpoints: {@code failover} tries them in order from the first and stays on the one that
 * works until it fails; after {@code failback} on a later endpoint it returns to the first one,
 * switching only once every frame sent is acknowledged (so no batch is left at two aggregators).
 * {@code round_robin} moves to the next endpoint for every new connection (starting at a random
 * one, so a fleet spreads).
 *
 * <p>Thread contract: {@link #send}, {@link #start}, {@link #close} from any thread; all state
 * lives on the client's one event loop thread.
 */
public final class ForwardClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ForwardClient.class);

    public enum Strategy { FAILOVER, ROUND_ROBIN }

    public record Endpoint(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    public record Settings(String id, String nodeName, List<Endpoint> endpoints, Strategy strategy, String token, SslContext ssl,
            boolean zstd, int window, long connectTimeoutMillis, long heartbeatIntervalMillis, long heartbeatTimeoutMillis,
            long backoffMinMillis, long backoffMaxMillis, long ackTimeoutMillis, long failbackMillis) {
        public Settings {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(nodeName, "nodeName");
            endpoints = List.copyOf(endpoints);
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("no endpoints");
            }
        }
    }

    /** One {@link #send}: completes when its last frame is acknowledged. */
    private static final class Send {
        final CompletableFuture<Void> done;
        int unacked;

        Send(CompletableFuture<Void> done, int frames) {
            this.done = done;
            this.unacked = frames;
        }
    }

    private static final class Outgoing {
        final Frame.Batch frame;
        final Send send;
        boolean sent;

        Outgoing(Frame.Batch frame, Send send) {
            this.frame = frame;
            this.send = send;
        }
    }

    private final Settings settings;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Bootstrap bootstrap;

    // ---- event loop state ----
    private final List<Outgoing> pending = new ArrayList<>();
    /** Per stream, the last sequence sent on the current connection (the server requires them to increase). */
    private final java.util.Map<String, Long> sentOnConnection = new java.util.HashMap<>();
    private int inFlight;
    /** When an acknowledgement last removed frames, or frames were queued while none waited. */
    private volatile long lastProgressNanos;
    /** Frames queued and not yet acknowledged (for {@link #problem()}, read from other threads). */
    private volatile int pendingFrames;
    private io.netty.util.concurrent.ScheduledFuture<?> ackTimer;
    private io.netty.util.concurrent.ScheduledFuture<?> failbackTimer;
    /** Failback is due: send nothing new, switch once every sent frame is acknowledged. */
    private boolean failingBack;
    /** The connection ended for a reason that counts as a failed attempt (no ack in time, frame too large). */
    private boolean sessionFailed;
    private int currentEndpoint;
    private Channel channel;
    private boolean ready;
    private boolean useZstd;
    private int serverMaxFrame = Integer.MAX_VALUE;
    private String aggregator;
    private int nextEndpoint;
    private int failuresInRow;
    private int backoffAttempt;
    private boolean closed;
    private volatile String lastError;
    private volatile boolean connected;
    private String lastLogged;
    private long lastLoggedNanos;

    private final Counter framesSent;
    private final Counter bytesSent;
    private final Counter frameBytesSent;
    private final Counter acks;
    private final Counter resent;
    private final Counter connects;
    private final Counter connectFailures;
    private final Counter disconnects;
    private final Counter heartbeatTimeouts;
    private final Counter heartbeatsSent;
    private final Counter refusals;
    private final Counter tlsFailures;
    private final Counter ackTimeouts;
    private final Counter failbacks;

    public ForwardClient(Settings settings, ComponentMetrics metrics) {
        this.settings = settings;
        this.group = Transports.group(1, "hakobu-" + settings.id() + "-client");
        this.loop = group.next();
        this.nextEndpoint = settings.strategy() == Strategy.ROUND_ROBIN ? ThreadLocalRandom.current().nextInt(settings.endpoints().size()) : 0;
        this.framesSent = metrics.counter("frames_sent_total", "type", "batch");
        this.bytesSent = metrics.counter("bytes_sent_total");
        this.frameBytesSent = metrics.counter("batch_bytes_sent_total");
        this.acks = metrics.counter("acks_received_total");
        this.resent = metrics.counter("frames_resent_total");
        this.connects = metrics.counter("connections_total");
        this.connectFailures = metrics.counter("connect_failures_total");
        this.disconnects = metrics.counter("disconnects_total");
        this.heartbeatTimeouts = metrics.counter("heartbeat_timeouts_total");
        this.heartbeatsSent = metrics.counter("heartbeats_total");
        this.refusals = metrics.counter("refusals_total");
        this.tlsFailures = metrics.counter("tls_handshake_failures_total");
        this.ackTimeouts = metrics.counter("ack_timeouts_total");
        this.failbacks = metrics.counter("failbacks_total");
        metrics.gauge("frames_pending", () -> pendingFrames);
        metrics.gauge("connected", () -> connected ? 1 : 0);
        metrics.gauge("frames_in_flight", () -> inFlight);
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(Transports.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeoutMillis());
    }

    /** Starts connecting (in the background). */
    public void start() {
        loop.execute(this::connect);
    }

    /** True while a connection is established and its HELLO was accepted. */
    public boolean isConnected() {
        return connected;
    }

    /** The last connection problem, or null after a successful handshake. */
    public String lastError() {
        return lastError;
    }

    /**
     * Queues {@code frames} behind those of earlier sends and completes when all of them are
     * acknowledged. Never fails while the client is open (it reconnects and resends instead);
     * completes exceptionally when the client is closed first.
     */
    public CompletableFuture<Void> send(List<Frame.Batch> frames) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        loop.execute(() -> enqueue(frames, f));
        return f;
    }

    /**
     * Why frames wait: set while the oldest unacknowledged frame has waited longer than
     * {@code ack_timeout} (with the last connection error), else null. Any thread.
     */
    public String problem() {
        if (pendingFrames == 0) {
            return null;
        }
        long waited = System.nanoTime() - lastProgressNanos;
        if (waited < TimeUnit.MILLISECONDS.toNanos(settings.ackTimeoutMillis())) {
            return null;
        }
        String why = waitReason();
        return "no acknowledgement for " + TimeUnit.NANOSECONDS.toSeconds(waited) + " s (" + pendingFrames + " frames waiting): " + why;
    }

    /** Why frames are not acknowledged: the last connection problem, or what the link looks like. */
    private String waitReason() {
        return lastError != null ? lastError : connected ? "connected to " + aggregator + " but no acknowledgement came" : "not connected";
    }

    private void enqueue(List<Frame.Batch> frames, CompletableFuture<Void> f) {
        if (closed) {
            f.completeExceptionally(new IOException("client closed"));
            return;
        }
        if (frames.isEmpty()) {
            f.complete(null);
            return;
        }
        if (pending.isEmpty()) {
            lastProgressNanos = System.nanoTime();
        }
        Send send = new Send(f, frames.size());
        for (Frame.Batch b : frames) {
            pending.add(new Outgoing(b, send));
        }
        pendingFrames = pending.size();
        if (ackTimer == null) {
            ackTimer = loop.schedule(this::checkAckTimeout, settings.ackTimeoutMillis(), TimeUnit.MILLISECONDS);
        }
        pump();
    }

    /** No acknowledgement for {@code ack_timeout} while frames wait: try another connection. */
    private void checkAckTimeout() {
        ackTimer = null;
        if (pending.isEmpty() || closed) {
            return;
        }
        long due = lastProgressNanos + TimeUnit.MILLISECONDS.toNanos(settings.ackTimeoutMillis());
        long now = System.nanoTime();
        if (now - due < 0) {
            ackTimer = loop.schedule(this::checkAckTimeout, due - now, TimeUnit.NANOSECONDS);
            return;
        }
        ackTimeouts.inc();
        String why = waitReason();
        if (fresh("ack_timeout " + why)) {
            log.warn("sink={} event=ack_timeout waited_ms={} frames_waiting={} reason=\"{}\" action=reconnect_and_resend", settings.id(),
                    TimeUnit.NANOSECONDS.toMillis(now - lastProgressNanos), pending.size(), why);
        }
        if (channel != null && ready) {
            sessionFailed = true;
            channel.close(); // reconnect (the next endpoint under failover) and resend in order
        }
        ackTimer = loop.schedule(this::checkAckTimeout, settings.ackTimeoutMillis(), TimeUnit.MILLISECONDS);
    }

    private void cancelAckTimer() {
        if (ackTimer != null) {
            ackTimer.cancel(false);
            ackTimer = null;
        }
    }

    private void pump() {
        if (!ready || channel == null) {
            return;
        }
        if (failingBack) {
            if (inFlight == 0) {
                failbackNow();
            }
            return;
        }
        boolean wrote = false;
        for (Outgoing o : pending) {
            if (inFlight >= settings.window()) {
                break;
            }
            if (o.sent) {
                continue;
            }
            int size = FrameCodec.batchFrameBytes(o.frame.stream(), o.frame.data().length);
            if (size > serverMaxFrame) {
                // cannot go to this aggregator: try the others (with backoff), keep everything queued
                lastError = channelEndpoint() + ": a batch frame of " + size + " bytes (" + o.frame.entries() + " entries) is above aggregator "
                        + aggregator + "'s max_frame_bytes " + serverMaxFrame + ": raise max_frame_bytes on the aggregator or lower batch_max_bytes";
                if (fresh(lastError)) {
                    log.error("sink={} event=frame_too_large {}", settings.id(), lastError);
                }
                if (wrote) {
                    channel.flush();
                }
                sessionFailed = true;
                channel.close();
                return;
            }
            Long prev = sentOnConnection.get(o.frame.stream());
            if (prev != null && o.frame.firstSeq() <= prev) {
                // a resend of something this connection already carried: start a new connection
                if (wrote) {
                    channel.flush();
                }
                channel.close();
                return;
            }
            sentOnConnection.put(o.frame.stream(), o.frame.lastSeq());
            o.sent = true;
            inFlight++;
            framesSent.inc();
            frameBytesSent.add(size);
            channel.write(o.frame, channel.voidPromise());
            wrote = true;
        }
        if (wrote) {
            channel.flush();
        }
    }

    private Endpoint channelEndpoint() {
        return settings.endpoints().get(currentEndpoint);
    }

    /** Fails every send (the client is closing). */
    private void failAll(Throwable e) {
        cancelAckTimer();
        List<Outgoing> all = new ArrayList<>(pending);
        pending.clear();
        pendingFrames = 0;
        for (Outgoing o : all) {
            o.send.done.completeExceptionally(e);
        }
    }

    private void acked(Frame.Ack a) {
        acks.inc();
        List<Send> finished = null;
        int kept = 0;
        for (int i = 0; i < pending.size(); i++) {
            Outgoing o = pending.get(i);
            if (o.frame.stream().equals(a.stream()) && o.frame.lastSeq() <= a.seq()) {
                if (o.sent) {
                    inFlight--;
                }
                if (--o.send.unacked == 0) {
                    if (finished == null) {
                        finished = new ArrayList<>();
                    }
                    finished.add(o.send);
                }
            } else {
                pending.set(kept++, o);
            }
        }
        if (kept == pending.size()) {
            return; // nothing of ours (already acknowledged on an earlier connection)
        }
        pending.subList(kept, pending.size()).clear();
        pendingFrames = kept;
        lastProgressNanos = System.nanoTime();
        if (pending.isEmpty()) {
            cancelAckTimer();
        }
        if (finished != null) {
            for (Send send : finished) {
                send.done.complete(null);
            }
        }
        pump();
    }

    // ---- failback (failover strategy) --------------------------------------------------------

    private void scheduleFailback() {
        if (settings.strategy() != Strategy.FAILOVER || currentEndpoint == 0 || settings.failbackMillis() <= 0) {
            return;
        }
        Channel ch = channel;
        failbackTimer = loop.schedule(() -> {
            failbackTimer = null;
            if (channel == ch && ready && !closed) {
                log.info("sink={} event=failback_due endpoint={} primary={} frames_in_flight={}", settings.id(), channelEndpoint(),
                        settings.endpoints().get(0), inFlight);
                failingBack = true;
                pump();
            }
        }, settings.failbackMillis(), TimeUnit.MILLISECONDS);
    }

    /** Everything sent was acknowledged: leave this endpoint for the first one. */
    private void failbackNow() {
        failbacks.inc();
        log.info("sink={} event=failback from={} to={}", settings.id(), channelEndpoint(), settings.endpoints().get(0));
        channel.close(); // closedChannel sees failingBack and connects to the first endpoint at once
    }

    // ---- connection management (event loop) --------------------------------------------------

    private void connect() {
        if (closed || channel != null) {
            return;
        }
        List<Endpoint> eps = settings.endpoints();
        currentEndpoint = nextEndpoint % eps.size();
        Endpoint ep = eps.get(currentEndpoint);
        ChannelFuture cf = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (settings.ssl() != null) {
                    SslHandler ssl = settings.ssl().newHandler(ch.alloc(), ep.host(), ep.port());
                    ch.pipeline().addLast("ssl", ssl);
                }
                ch.pipeline().addLast("bytes", new ByteCounterOut(bytesSent));
                ch.pipeline().addLast("idle", new IdleStateHandler(settings.heartbeatTimeoutMillis(), settings.heartbeatIntervalMillis(), 0,
                        TimeUnit.MILLISECONDS));
                ch.pipeline().addLast("decoder", new FrameDecoder(Integer.MAX_VALUE));
                ch.pipeline().addLast("encoder", FrameEncoder.INSTANCE);
                ch.pipeline().addLast("handler", new Handler(ep));
            }
        }).connect(ep.host(), ep.port());
        channel = cf.channel();
        cf.addListener(done -> {
            if (!done.isSuccess()) {
                connectFailures.inc();
                problem(ep, "connect failed: " + done.cause().getMessage(), false);
                closedChannel(ep, false); // never active: no channelInactive will come
            }
        });
    }

    /** A connection attempt or connection ended badly: count it and schedule the next attempt. */
    private void problem(Endpoint ep, String message, boolean wasReady) {
        lastError = ep + ": " + message;
        if (wasReady) {
            log.warn("sink={} event=disconnected endpoint={} aggregator={} reason=\"{}\"", settings.id(), ep, aggregator, message);
        } else if (fresh(ep + message)) {
            log.warn("sink={} event=connect_failed endpoint={} reason=\"{}\"", settings.id(), ep, message);
        }
    }

    /** True when {@code message} should be logged at its level: not the same as the last one within a minute. */
    private boolean fresh(String message) {
        long now = System.nanoTime();
        if (message.equals(lastLogged) && now - lastLoggedNanos < 60_000_000_000L) {
            return log.isDebugEnabled();
        }
        lastLogged = message;
        lastLoggedNanos = now;
        return true;
    }

    private void closedChannel(Endpoint ep, boolean wasReady) {
        channel = null;
        sentOnConnection.clear();
        ready = false;
        connected = false;
        inFlight = 0;
        if (failbackTimer != null) {
            failbackTimer.cancel(false);
            failbackTimer = null;
        }
        for (Outgoing o : pending) {
            if (o.sent) {
                o.sent = false;
                resent.inc();
            }
        }
        if (closed) {
            return;
        }
        boolean failedSession = sessionFailed;
        sessionFailed = false;
        if (failingBack) {
            failingBack = false;
            failuresInRow = 0;
            nextEndpoint = 0;
            loop.execute(this::connect);
            return;
        }
        if (wasReady && !failedSession) {
            disconnects.inc();
            failuresInRow = 0;
            backoffAttempt = 0;
        } else {
            failuresInRow++;
        }
        int n = settings.endpoints().size();
        nextEndpoint = (nextEndpoint + 1) % n;
        if (settings.strategy() == Strategy.FAILOVER && failuresInRow >= n) {
            nextEndpoint = 0;
        }
        long delay = 0;
        if (failuresInRow >= n) {
            failuresInRow = 0;
            backoffAttempt++;
            delay = backoffMillis(backoffAttempt, settings.backoffMinMillis(), settings.backoffMaxMillis(),
                    ThreadLocalRandom.current().nextDouble());
            log.debug("sink={} event=reconnect_backoff delay_ms={} attempt={}", settings.id(), delay, backoffAttempt);
        }
        if (delay == 0) {
            loop.execute(this::connect);
        } else {
            loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        }
    }

    /** {@link Backoff#millis}: uniform in [ceiling/2, ceiling], ceiling = min·2^(attempt-1) ≤ max. */
    static long backoffMillis(int attempt, long minMillis, long maxMillis, double random) {
        return Backoff.millis(attempt, minMillis, maxMillis, random);
    }

    @Override
    public void close() {
        loop.execute(() -> {
            closed = true;
            failAll(new IOException("client closed"));
            if (channel != null) {
                channel.close();
            }
        });
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    private static final class ByteCounterOut extends ChannelOutboundHandlerAdapter {
        private final Counter counter;

        ByteCounterOut(Counter counter) {
            this.counter = counter;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf b) {
                counter.add(b.readableBytes());
            }
            ctx.write(msg, promise);
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<Frame> {
        private final Endpoint ep;
        private boolean wasReady;
        private boolean reported;

        Handler(Endpoint ep) {
            this.ep = ep;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (settings.ssl() == null) {
                hello(ctx);
            }
            ctx.fireChannelActive();
        }

        private void hello(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(new Frame.Hello(Frame.VERSION, settings.zstd() ? Frame.CAP_ZSTD : 0, settings.nodeName(),
                    settings.token() == null ? "" : settings.token()), ctx.voidPromise());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!reported && !closed) { // our own close is not a problem
                reported = true;
                if (wasReady) {
                    problem(ep, "connection closed", true);
                } else {
                    problem(ep, "connection closed before the handshake completed", false);
                }
            }
            closedChannel(ep, wasReady);
            ctx.fireChannelInactive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Frame f) {
            if (f instanceof Frame.Welcome w) {
                if (ready) {
                    throw new ProtocolException(ErrorCode.WRONG_ORDER, "second WELCOME");
                }
                if (w.version() != Frame.VERSION) {
                    throw new ProtocolException(ErrorCode.VERSION_MISMATCH, "aggregator speaks protocol version " + w.version()
                            + "; this agent speaks " + Frame.VERSION);
                }
                ready = true;
                connected = true;
                wasReady = true;
                aggregator = w.node();
                serverMaxFrame = w.maxFrameBytes();
                useZstd = settings.zstd() && (w.capabilities() & Frame.CAP_ZSTD) != 0;
                lastError = null;
                failuresInRow = 0;
                backoffAttempt = 0;
                connects.inc();
                log.info("sink={} event=connected endpoint={} aggregator={} tls={} zstd={} resend_frames={}", settings.id(), ep, w.node(),
                        settings.ssl() != null, useZstd, pending.size());
                scheduleFailback();
                if (!useZstd && settings.zstd()) {
                    log.warn("sink={} event=zstd_unsupported aggregator={}: batches must be re-encoded without compression", settings.id(), w.node());
                }
                pump();
            } else if (f instanceof Frame.Ack a) {
                if (!ready) {
                    throw new ProtocolException(ErrorCode.WRONG_ORDER, "ACK before WELCOME");
                }
                acked(a);
            } else if (f instanceof Frame.Heartbeat) {
                if (!ready) {
                    throw new ProtocolException(ErrorCode.WRONG_ORDER, "HEARTBEAT before WELCOME");
                }
            } else if (f instanceof Frame.Error e) {
                refusals.inc();
                reported = true;
                String msg = "aggregator refused: code=" + e.code().label() + " message=\"" + e.message() + "\"";
                lastError = ep + ": " + msg;
                if (e.code() == ErrorCode.SHUTTING_DOWN) {
                    log.info("sink={} event=aggregator_stopping endpoint={} message=\"{}\"", settings.id(), ep, e.message());
                } else if (fresh(lastError)) {
                    log.error("sink={} event=refused endpoint={} code={} message=\"{}\"", settings.id(), ep, e.code().label(), e.message());
                }
                ctx.close();
            } else {
                throw new ProtocolException(ErrorCode.WRONG_ORDER, FrameCodec.typeName(f.type()) + " is an agent frame; an aggregator must not send it");
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent hs) {
                if (hs.isSuccess()) {
                    hello(ctx);
                } else if (reported) {
                    ctx.close();
                } else {
                    tlsFailures.inc();
                    reported = true;
                    String why = Tls.describe(hs.cause());
                    lastError = ep + ": TLS handshake failed: " + why;
                    if (fresh(lastError)) {
                        log.error("sink={} event=tls_handshake_failed endpoint={} reason=\"{}\"", settings.id(), ep, why);
                    }
                    ctx.close();
                }
            } else if (evt instanceof IdleStateEvent e) {
                if (e.state() == IdleState.WRITER_IDLE && ready) {
                    heartbeatsSent.inc();
                    ctx.writeAndFlush(new Frame.Heartbeat(System.nanoTime()), ctx.voidPromise());
                } else if (e.state() == IdleState.READER_IDLE) {
                    heartbeatTimeouts.inc();
                    reported = true;
                    String msg = "no frame from the aggregator for " + settings.heartbeatTimeoutMillis() + " ms (heartbeat timeout)";
                    lastError = ep + ": " + msg;
                    log.warn("sink={} event=heartbeat_timeout endpoint={} aggregator={}", settings.id(), ep, aggregator);
                    ctx.close();
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (reported) {
                ctx.close();
                return;
            }
            reported = true;
            if (cause instanceof ProtocolException pe) {
                lastError = ep + ": protocol error from the aggregator: " + pe.getMessage();
                log.error("sink={} event=protocol_error endpoint={} code={} message=\"{}\"", settings.id(), ep, pe.code().label(), pe.getMessage());
                ctx.writeAndFlush(new Frame.Error(pe.code(), pe.getMessage())).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                return;
            }
            if (ForwardServer.isSslFailure(cause)) {
                String why = Tls.describe(cause);
                lastError = ep + ": TLS failed: " + why;
                tlsFailures.inc();
                if (fresh(lastError)) {
                    log.error("sink={} event=tls_failed endpoint={} reason=\"{}\"", settings.id(), ep, why);
                }
            } else {
                problem(ep, cause.toString(), wasReady);
            }
            ctx.close();
        }
    }
}
