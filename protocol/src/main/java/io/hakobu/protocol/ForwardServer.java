package io.hakobu.protocol;

import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Counter;
import io.hakobu.core.telemetry.LogLimiter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aggregator end: accepts agents, checks HELLO (version, token), answers WELCOME, and hands
 * every BATCH to a {@link Handler}; echoes HEARTBEATs; answers anything malformed or out of order
 * with an ERROR frame and closes that connection only.
 *
 * <p>Pipeline per connection: [ssl] → bytes counter → idle ({@code idle_timeout}) →
 * {@link FrameDecoder} → {@link FrameEncoder} → connection handler.
 */
public final class ForwardServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ForwardServer.class);

    /** What the server calls; every method runs on the connection's event loop. */
    public interface Handler {
        /**
         * A BATCH from an authenticated agent, whose sequence numbers are above every batch this
         * connection sent before for the stream. Must not block.
         *
         * @throws ProtocolException to refuse it (the connection gets the error and is closed)
         */
        void onBatch(Connection connection, Frame.Batch batch);

        /** The connection is gone (after a HELLO was accepted, or not). */
        default void onClosed(Connection connection) {
        }
    }

    /** Server settings; {@code token} null means no authentication, {@code ssl} null plain TCP. */
    public record Settings(String id, String host, int port, String nodeName, String token, SslContext ssl,
            int maxFrameBytes, long idleTimeoutMillis, int ioThreads) {
        public Settings {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(nodeName, "nodeName");
        }
    }

    /** One agent connection, as the handler sees it. Thread-safe. */
    public static final class Connection {
        private static final AtomicLong IDS = new AtomicLong();
        private final long id = IDS.incrementAndGet();
        private final Channel channel;
        private volatile String node;
        private volatile boolean paused;

        Connection(Channel channel) {
            this.channel = channel;
        }

        public long id() {
            return id;
        }

        /** The agent's node name from its HELLO (null before). */
        public String node() {
            return node;
        }

        public String remote() {
            return String.valueOf(channel.remoteAddress());
        }

        public boolean isOpen() {
            return channel.isActive();
        }

        /** Sends a frame from any thread (dropped if the connection is closed). */
        public void send(Frame f) {
            channel.writeAndFlush(f, channel.voidPromise());
        }

        /** Stops reading from the socket (backpressure); idempotent. */
        public synchronized void pauseReading() { // synchronized: the flag and autoRead change together
            if (!paused) {
                paused = true;
                channel.config().setAutoRead(false);
            }
        }

        /** Resumes reading; idempotent. */
        public synchronized void resumeReading() {
            if (paused) {
                paused = false;
                channel.config().setAutoRead(true);
            }
        }

        @Override
        public String toString() {
            return "conn#" + id + "(" + remote() + (node == null ? "" : " node=" + node) + ")";
        }
    }

    private final Settings settings;
    private final Handler handler;
    private final byte[] tokenBytes;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ChannelGroup channels = new DefaultChannelGroup("hakobu-server", GlobalEventExecutor.INSTANCE);
    private final AtomicLong open = new AtomicLong();
    private final Counter connections;
    private final Counter bytesIn;
    private final Counter tlsFailures;
    /** Refusals and TLS failures repeat with every retry of a misconfigured agent: log each once a minute. */
    private final LogLimiter repeats = new LogLimiter(1, TimeUnit.MINUTES);
    private final Counter acksSent;
    private final Counter heartbeats;
    private final Map<String, Counter> framesIn = new HashMap<>();
    private final Map<ErrorCode, Counter> errors = new HashMap<>();
    private volatile Channel serverChannel;
    private volatile boolean closing;

    public ForwardServer(Settings settings, Handler handler, ComponentMetrics metrics) {
        this.settings = settings;
        this.handler = handler;
        this.tokenBytes = settings.token() == null ? null : settings.token().getBytes(StandardCharsets.UTF_8);
        this.boss = Transports.group(1, "hakobu-" + settings.id() + "-accept");
        this.workers = Transports.group(Math.max(1, settings.ioThreads()), "hakobu-" + settings.id() + "-io");
        this.connections = metrics.counter("connections_total");
        this.bytesIn = metrics.counter("bytes_received_total");
        this.tlsFailures = metrics.counter("tls_handshake_failures_total");
        this.acksSent = metrics.counter("acks_sent_total");
        this.heartbeats = metrics.counter("heartbeats_total");
        for (byte t = Frame.TYPE_HELLO; t <= Frame.TYPE_HEARTBEAT; t++) {
            framesIn.put(FrameCodec.typeName(t), metrics.counter("frames_received_total", "type", FrameCodec.typeName(t).toLowerCase()));
        }
        for (ErrorCode c : ErrorCode.values()) {
            errors.put(c, metrics.counter("protocol_errors_total", "code", c.label()));
        }
        metrics.gauge("connections_open", open::get);
    }

    /** Binds the listener; returns the bound port. */
    public int start() throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(Transports.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (settings.ssl() != null) {
                            ch.pipeline().addLast("ssl", settings.ssl().newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast("bytes", new ByteCounter(bytesIn));
                        ch.pipeline().addLast("idle", new IdleStateHandler(settings.idleTimeoutMillis(), 0, 0, TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast("decoder", new FrameDecoder(settings.maxFrameBytes()));
                        ch.pipeline().addLast("encoder", FrameEncoder.INSTANCE);
                        ch.pipeline().addLast("handler", new ConnectionHandler(new Connection(ch)));
                    }
                });
        serverChannel = b.bind(settings.host(), settings.port()).sync().channel();
        int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        log.info("source={} event=listening address={}:{} tls={} auth={} transport={}", settings.id(), settings.host(), port,
                settings.ssl() != null, tokenBytes != null ? "token" : "none", Transports.epoll() ? "epoll" : "nio");
        return port;
    }

    /** Stops accepting, tells every agent {@code SHUTTING_DOWN}, closes the connections. */
    @Override
    public void close() {
        closing = true;
        Channel sc = serverChannel;
        if (sc != null) {
            sc.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        for (Channel ch : channels) {
            ch.writeAndFlush(new Frame.Error(ErrorCode.SHUTTING_DOWN, "aggregator " + settings.nodeName() + " is stopping"))
                    .addListener(ChannelFutureListener.CLOSE);
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** Counts an ACK sent by the handler. */
    public void ackSent() {
        acksSent.inc();
    }

    /** Counts bytes as they arrive (after TLS). */
    static final class ByteCounter extends ChannelInboundHandlerAdapter {
        private final Counter counter;

        ByteCounter(Counter counter) {
            this.counter = counter;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                counter.add(b.readableBytes());
            }
            ctx.fireChannelRead(msg);
        }
    }

    private final class ConnectionHandler extends SimpleChannelInboundHandler<Frame> {
        private final Connection conn;
        private final Map<String, Long> lastSeq = new HashMap<>();
        private boolean ready;
        private boolean zstd;
        private boolean failed;

        ConnectionHandler(Connection conn) {
            this.conn = conn;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channels.add(ctx.channel());
            open.incrementAndGet();
            connections.inc();
            if (closing) {
                refuse(ctx, new ProtocolException(ErrorCode.SHUTTING_DOWN, "aggregator " + settings.nodeName() + " is stopping"));
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.decrementAndGet();
            if (ready) {
                log.info("source={} event=disconnected conn={} node={} remote={}", settings.id(), conn.id(), conn.node(), conn.remote());
            }
            try {
                handler.onClosed(conn);
            } finally {
                ctx.fireChannelInactive();
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Frame f) {
            if (failed) {
                return;
            }
            framesIn.get(FrameCodec.typeName(f.type())).inc();
            if (f instanceof Frame.Hello h) {
                hello(ctx, h);
            } else if (f instanceof Frame.Batch b) {
                if (!ready) {
                    throw new ProtocolException(ErrorCode.WRONG_ORDER, "BATCH before HELLO");
                }
                if (b.compression() == Frame.COMPRESSION_ZSTD && !zstd) {
                    throw new ProtocolException(ErrorCode.UNSUPPORTED, "zstd BATCH from an agent that did not announce zstd");
                }
                Long prev = lastSeq.get(b.stream());
                if (prev != null && b.firstSeq() <= prev) {
                    throw new ProtocolException(ErrorCode.WRONG_ORDER, "BATCH " + b.firstSeq() + ".." + b.lastSeq() + " of stream "
                            + b.stream() + " after " + prev + " on the same connection");
                }
                if (prev == null && lastSeq.size() >= 1024) {
                    throw new ProtocolException(ErrorCode.BAD_PAYLOAD, "more than 1024 streams on one connection");
                }
                lastSeq.put(b.stream(), b.lastSeq());
                handler.onBatch(conn, b);
            } else if (f instanceof Frame.Heartbeat hb) {
                if (!ready) {
                    throw new ProtocolException(ErrorCode.WRONG_ORDER, "HEARTBEAT before HELLO");
                }
                heartbeats.inc();
                ctx.writeAndFlush(hb, ctx.voidPromise());
            } else if (f instanceof Frame.Error e) {
                failed = true;
                log.warn("source={} event=peer_error conn={} node={} remote={} code={} message=\"{}\"", settings.id(), conn.id(),
                        conn.node(), conn.remote(), e.code().label(), e.message());
                ctx.close();
            } else {
                throw new ProtocolException(ErrorCode.WRONG_ORDER, FrameCodec.typeName(f.type()) + " is a server frame; an agent must not send it");
            }
        }

        private void hello(ChannelHandlerContext ctx, Frame.Hello h) {
            if (ready) {
                throw new ProtocolException(ErrorCode.WRONG_ORDER, "second HELLO on one connection");
            }
            if (h.version() != Frame.VERSION) {
                throw new ProtocolException(ErrorCode.VERSION_MISMATCH, "aggregator " + settings.nodeName() + " speaks protocol version "
                        + Frame.VERSION + "; the agent sent version " + h.version());
            }
            if (h.node().isEmpty()) {
                throw new ProtocolException(ErrorCode.MALFORMED, "HELLO with an empty node name");
            }
            if (tokenBytes != null) {
                if (h.token().isEmpty()) {
                    throw new ProtocolException(ErrorCode.AUTH_FAILED, "aggregator " + settings.nodeName()
                            + " requires a token and the agent sent none (set auth.token_file on the agent's hakobu sink)");
                }
                if (!MessageDigest.isEqual(tokenBytes, h.token().getBytes(StandardCharsets.UTF_8))) {
                    throw new ProtocolException(ErrorCode.AUTH_FAILED, "token refused by aggregator " + settings.nodeName()
                            + ": it does not match the aggregator's token_file");
                }
            }
            conn.node = h.node();
            zstd = (h.capabilities() & Frame.CAP_ZSTD) != 0;
            ready = true;
            ctx.writeAndFlush(new Frame.Welcome(Frame.VERSION, Frame.CAP_ZSTD, settings.nodeName(), settings.maxFrameBytes()),
                    ctx.voidPromise());
            log.info("source={} event=connected conn={} node={} remote={} zstd={}", settings.id(), conn.id(), h.node(), conn.remote(), zstd);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent e && e.state() == IdleState.READER_IDLE) {
                if (!failed) {
                    refuse(ctx, new ProtocolException(ErrorCode.TIMEOUT, (ready ? "no frame" : "no HELLO") + " from the agent for "
                            + settings.idleTimeoutMillis() + " ms"));
                }
            } else if (evt instanceof SslHandshakeCompletionEvent hs && !hs.isSuccess()) {
                failed = true;
                tlsFailures.inc();
                String why = Tls.describe(hs.cause());
                if (repeats.allow(host(conn.remote()) + " tls " + why)) {
                    log.warn("source={} event=tls_handshake_failed remote={} reason=\"{}\" (logged once a minute per host and reason)",
                            settings.id(), conn.remote(), why);
                } else {
                    log.debug("source={} event=tls_handshake_failed remote={} reason=\"{}\"", settings.id(), conn.remote(), why);
                }
                ctx.close();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof ProtocolException pe) {
                refuse(ctx, pe);
                return;
            }
            if (failed) {
                ctx.close();
                return;
            }
            if (isSslFailure(cause)) {
                // reported by the handshake event (or a TLS record error after it)
                failed = true;
                log.debug("source={} event=tls_error conn={} remote={} error=\"{}\"", settings.id(), conn.id(), conn.remote(), cause.toString());
                ctx.close();
            } else if (cause instanceof IOException) {
                log.debug("source={} event=connection_error conn={} remote={} error=\"{}\"", settings.id(), conn.id(), conn.remote(), cause.toString());
                ctx.close();
            } else {
                log.warn("source={} event=internal_error conn={} remote={} error=\"{}\"", settings.id(), conn.id(), conn.remote(), cause.toString(), cause);
                refuse(ctx, new ProtocolException(ErrorCode.INTERNAL, "internal error: " + cause));
            }
        }

        private void refuse(ChannelHandlerContext ctx, ProtocolException e) {
            if (failed) {
                return;
            }
            failed = true;
            errors.get(e.code()).inc();
            if (e.code() != ErrorCode.SHUTTING_DOWN) {
                if (repeats.allow(host(conn.remote()) + " " + e.code().label() + " " + e.getMessage())) {
                    log.warn("source={} event=protocol_error conn={} node={} remote={} code={} message=\"{}\" action=close", settings.id(),
                            conn.id(), conn.node(), conn.remote(), e.code().label(), e.getMessage());
                } else {
                    log.debug("source={} event=protocol_error conn={} node={} remote={} code={} message=\"{}\" action=close",
                            settings.id(), conn.id(), conn.node(), conn.remote(), e.code().label(), e.getMessage());
                }
            }
            ctx.channel().config().setAutoRead(false);
            ctx.writeAndFlush(new Frame.Error(e.code(), e.getMessage())).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The host part of a remote address as {@code Connection} prints it ({@code /10.0.0.5:41234}). */
    static String host(Object remote) {
        String r = String.valueOf(remote);
        int colon = r.lastIndexOf(':');
        return colon > 0 ? r.substring(0, colon) : r;
    }

    static boolean isSslFailure(Throwable t) {
        for (; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }
}
