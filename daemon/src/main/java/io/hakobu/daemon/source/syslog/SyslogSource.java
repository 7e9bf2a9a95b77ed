package io.hakobu.daemon.source.syslog;

import io.hakobu.core.codec.SyslogParser;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BatchAck;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceContext;
import io.hakobu.core.telemetry.Counter;
import io.hakobu.daemon.source.EntryMetadata;
import io.hakobu.daemon.source.LineEntries;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code type: syslog}: receives syslog messages on every {@code listen} address and turns each
 * into an entry (see {@link SyslogParser} for the fields).
 *
 * <p>Threads: one Netty event loop (epoll where available, else NIO) accepts, reads and frames
 * for every listener and hands heap copies of the messages to the {@link Handoff}; the source's
 * own thread ({@link #run}) parses them, builds entries and emits batches. When a sink is full
 * {@code emit} blocks, the handoff fills, stream connections stop reading (their senders wait)
 * and datagrams are dropped and counted ({@code events_dropped_total{reason="queue_full"}}).
 *
 * <p>Delivery: syslog has no acknowledgement, so a sender's message is safe once the kernel took
 * it; what was received but not yet emitted when the process dies is lost (TCP: at most what the
 * handoff holds; UDP: at-most-once anyway). On a graceful stop the listeners close first, then
 * what was received is emitted before {@code run} returns.
 */
final class SyslogSource implements Source {
    private static final Logger LOG = LoggerFactory.getLogger(SyslogSource.class);
    /** The sender's {@code ip:port} (UDP, TCP). */
    static final String PEER = "_PEER";
    /** Largest buffer a datagram is read into (a UDP datagram is at most 65,507 bytes). */
    private static final int MAX_UDP_BUFFER = 65_536;
    private static final int MAX_UNIX_DATAGRAM_BUFFER = 1 << 20;

    private final String id;
    private final SyslogSourceConfig config;
    private final NodeInfo node;
    private final Handoff handoff;
    private final AtomicInteger connectionsOpen = new AtomicInteger();
    private final List<Listener> listeners = new ArrayList<>();
    private final List<Path> socketFiles = new ArrayList<>();
    private EventLoopGroup group;
    private Counter dropped;
    private Counter truncatedCount;
    private Counter parseErrors;
    private Counter pauses;
    // source thread only
    private final SyslogParser parser;
    private final String[] staticNames;
    private final String[] staticValues;
    /** Field count of the previous entry: the next one is allocated at that size. */
    private int lastSize = 16;
    /** Source thread: writes __ID and __CURSOR into each message's backing array. */
    private final EntryMetadata metadata = new EntryMetadata();

    SyslogSource(String id, SyslogSourceConfig config, NodeInfo node) {
        this.id = id;
        this.config = config;
        this.node = node;
        this.handoff = new Handoff(config.maxPendingBytes());
        this.parser = new SyslogParser(config.keepMessage());
        this.staticNames = config.fields().keySet().toArray(new String[0]);
        this.staticValues = config.fields().values().toArray(new String[0]);
    }

    @Override
    public void run(SourceContext ctx) throws Exception {
        dropped = ctx.metrics().counter("events_dropped_total", "reason", "queue_full");
        truncatedCount = ctx.metrics().counter("messages_truncated_total");
        parseErrors = ctx.metrics().counter("parse_errors_total");
        pauses = ctx.metrics().counter("reads_paused_total");
        ctx.metrics().gauge("connections_open", connectionsOpen::get);
        ctx.metrics().gauge("pending_bytes", handoff::pendingBytes);
        long start = System.currentTimeMillis();
        for (SyslogSourceConfig.Listen l : config.listen()) {
            listeners.add(new Listener(l, node.name(), id, start, ctx.metrics()));
        }
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("hakobu-syslog-" + id, true), io);
        try {
            for (Listener l : listeners) {
                bind(l, epoll);
            }
            loop(ctx);
        } finally {
            closeListeners();
        }
        drain(ctx);
    }

    // ---- source thread ---------------------------------------------------------------------------

    private void loop(SourceContext ctx) throws InterruptedException {
        List<LogEntry> batch = new ArrayList<>();
        while (!ctx.isStopping()) {
            Received r = handoff.poll(batch.isEmpty() ? 100 : 0);
            if (r == null) {
                if (!batch.isEmpty()) { // nothing more right now: do not hold entries back
                    emit(ctx, batch);
                    batch = new ArrayList<>();
                }
                continue;
            }
            batch.add(build(r));
            if (batch.size() >= config.batchEvents()) {
                emit(ctx, batch);
                batch = new ArrayList<>();
            }
        }
        if (!batch.isEmpty()) {
            emit(ctx, batch);
        }
    }

    /**
     * After the listeners and their event loop closed (nothing is added any more): emits what
     * they had received, unless the pipeline gives up waiting for a full sink.
     */
    private void drain(SourceContext ctx) throws InterruptedException {
        List<LogEntry> batch = new ArrayList<>();
        for (Received r = handoff.poll(0); r != null; r = handoff.poll(0)) {
            batch.add(build(r));
            if (batch.size() >= config.batchEvents()) {
                if (!emit(ctx, batch)) {
                    return;
                }
                batch = new ArrayList<>();
            }
        }
        if (!batch.isEmpty()) {
            emit(ctx, batch);
        }
    }

    private boolean emit(SourceContext ctx, List<LogEntry> batch) throws InterruptedException {
        return ctx.emit(Batch.of(id, batch, BatchAck.none()));
    }

    private LogEntry build(Received r) {
        byte[] msg = r.bytes();
        Listener l = r.listener();
        long position = ++l.position;
        byte[] b = metadata.copyWithRoom(msg, l.ids, l.cursorPrefix, position); // __ID, __CURSOR as slices
        LogEntry e = new LogEntry(lastSize).backing(b);
        parser.parse(b, 0, msg.length, e);
        if (e.size() == 2 && Fields.PARSE_ERROR.equals(e.name(1))) { // a failed parse adds exactly these two
            parseErrors.inc();
        }
        for (int i = 0; i < staticNames.length; i++) {
            e.set(staticNames[i], staticValues[i]);
        }
        if (r.truncated()) {
            e.add(Fields.TRUNCATED, Boolean.TRUE);
        }
        if (!e.has(Fields.HOSTNAME)) {
            e.add(Fields.HOSTNAME, node.name());
        }
        e.add(Fields.SOURCE, id);
        if (r.peer() != null) {
            e.add(PEER, r.peer());
        }
        long t = parser.timestampMicros();
        e.add(Fields.REALTIME_TIMESTAMP, t != SyslogParser.NO_TIMESTAMP ? t : r.receivedMicros());
        metadata.addTo(e);
        e.origin(l.stream, position);
        lastSize = e.size();
        e.sizeEstimate(LineEntries.heapEstimate(b.length, e.size()));
        return e;
    }

    // ---- listeners -------------------------------------------------------------------------------

    private void bind(Listener l, boolean epoll) throws IOException, InterruptedException {
        SyslogSourceConfig.Listen c = l.config;
        SocketAddress address;
        if (c.path() != null) {
            Path path = Path.of(c.path());
            removeStaleSocket(path);
            address = epoll ? new DomainSocketAddress(c.path()) : UnixDomainSocketAddress.of(path);
        } else {
            address = new InetSocketAddress(c.host(), c.port());
        }
        ChannelFuture bound;
        switch (c.transport()) {
            case TCP, UNIX_STREAM -> {
                ServerBootstrap b = new ServerBootstrap().group(group)
                        .channel(c.transport() == SyslogSourceConfig.Transport.TCP
                                ? (epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                                : (epoll ? EpollServerDomainSocketChannel.class : NioServerDomainSocketChannel.class))
                        .childHandler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                ch.pipeline().addLast("framer", new SyslogFrameDecoder(config.maxMessageBytes()));
                                ch.pipeline().addLast("handler", new StreamHandler(l));
                            }
                        });
                if (c.transport() == SyslogSourceConfig.Transport.TCP) {
                    b.option(ChannelOption.SO_REUSEADDR, true);
                }
                bound = b.bind(address);
            }
            case UDP, UNIX -> {
                if (c.transport() == SyslogSourceConfig.Transport.UNIX && !epoll) {
                    throw new IOException("listen " + c.uri() + ": unix datagram sockets need Netty's native epoll transport, "
                            + "which is not available here");
                }
                int buffer = c.transport() == SyslogSourceConfig.Transport.UDP
                        ? Math.min(config.maxMessageBytes() + 1, MAX_UDP_BUFFER)
                        : Math.min(config.maxMessageBytes() + 1, MAX_UNIX_DATAGRAM_BUFFER);
                Bootstrap b = new Bootstrap().group(group)
                        .channel(c.transport() == SyslogSourceConfig.Transport.UDP
                                ? (epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
                                : EpollDomainDatagramChannel.class)
                        .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(buffer))
                        .handler(new DatagramHandler(l));
                if (c.transport() == SyslogSourceConfig.Transport.UDP) {
                    b.option(ChannelOption.SO_RCVBUF, 4 << 20);
                }
                bound = b.bind(address);
            }
            default -> throw new IllegalStateException(c.transport().toString());
        }
        bound.await();
        if (!bound.isSuccess()) {
            throw new IOException("cannot listen on " + c.uri() + ": " + bound.cause(), bound.cause());
        }
        l.channel = bound.channel();
        if (c.path() != null) {
            socketFiles.add(Path.of(c.path()));
            setMode(Path.of(c.path()));
        }
        LOG.info("source={} status=listening listen={} address={} transport={}", id, c.uri(),
                bound.channel().localAddress(), epoll ? "epoll" : "nio");
    }

    /** A socket file left by an earlier run is removed; anything else at the path is an error. */
    private static void removeStaleSocket(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            Files.createDirectories(path.toAbsolutePath().getParent());
            return;
        }
        if (!a.isOther()) {
            throw new IOException("cannot listen on " + path + ": it exists and is not a socket");
        }
        Files.delete(path);
    }

    private void setMode(Path path) throws IOException {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        for (int bit = 0; bit < order.length; bit++) {
            if ((config.socketMode() & (1 << bit)) != 0) {
                perms.add(order[bit]);
            }
        }
        Files.setPosixFilePermissions(path, perms);
    }

    private void closeListeners() {
        for (Listener l : listeners) {
            Channel ch = l.channel;
            if (ch != null) {
                ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
        if (group != null) {
            // closes the accepted connections too; what they had framed is in the handoff
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
        for (Path p : socketFiles) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.warn("source={} status=socket_not_removed path={} error=\"{}\"", id, p, e.toString());
            }
        }
        socketFiles.clear();
    }

    @Override
    public void close() {
        closeListeners();
    }

    // ---- event loop handlers ---------------------------------------------------------------------

    private static long nowMicros() {
        return System.currentTimeMillis() * 1000L;
    }

    /**
     * One per TCP or unix stream connection: hands framed messages over, one chunk per read,
     * and stops reading when the handoff is full.
     */
    private final class StreamHandler extends SimpleChannelInboundHandler<SyslogFrameDecoder.Frame> {
        private final Listener listener;
        private String peer;
        private List<Received> chunk = new ArrayList<>();
        private boolean full;

        StreamHandler(Listener listener) {
            this.listener = listener;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            connectionsOpen.incrementAndGet();
            if (ctx.channel().remoteAddress() instanceof InetSocketAddress a) {
                peer = a.getAddress().getHostAddress() + ":" + a.getPort();
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            flush(ctx); // what the framer emitted at the close
            connectionsOpen.decrementAndGet();
            handoff.closed(ctx.channel());
            super.channelInactive(ctx);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            flush(ctx);
            super.channelReadComplete(ctx);
        }

        private void flush(ChannelHandlerContext ctx) {
            if (!chunk.isEmpty()) {
                handoff.publish(chunk);
                chunk = new ArrayList<>();
            }
            if (full) {
                full = false;
                if (ctx.channel().config().isAutoRead() && ctx.channel().isActive()) {
                    pauses.inc();
                    handoff.pause(ctx.channel());
                }
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, SyslogFrameDecoder.Frame f) {
            listener.messages.inc();
            listener.bytes.add(f.length());
            if (f.truncated()) {
                truncatedCount.inc();
            }
            Received r = new Received(f.bytes(), f.truncated(), listener, peer, nowMicros());
            full |= handoff.reserveStream(r);
            chunk.add(r);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warn("source={} status=connection_error listen={} peer={} error=\"{}\"", id, listener.config.uri(), peer,
                    cause.toString());
            ctx.close();
        }
    }

    /**
     * One per datagram listener (UDP or unix), used by its one channel: one message per datagram,
     * handed over one chunk per read; dropped and counted when the handoff is full.
     */
    private final class DatagramHandler extends SimpleChannelInboundHandler<AddressedEnvelope<ByteBuf, SocketAddress>> {
        private final Listener listener;
        private InetSocketAddress lastSender;
        private String lastPeer;
        /** Datagrams of the current read; one datagram channel per handler, so one event loop. */
        private List<Received> chunk = new ArrayList<>();

        DatagramHandler(Listener listener) {
            this.listener = listener;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, AddressedEnvelope<ByteBuf, SocketAddress> packet) {
            ByteBuf content = packet.content();
            int n = content.readableBytes();
            boolean cut = n > config.maxMessageBytes();
            byte[] bytes = new byte[Math.min(n, config.maxMessageBytes())];
            content.getBytes(content.readerIndex(), bytes);
            listener.messages.inc();
            listener.bytes.add(n);
            if (cut) {
                truncatedCount.inc();
            }
            String peer = null;
            if (packet.sender() instanceof InetSocketAddress a) {
                if (!a.equals(lastSender)) {
                    lastSender = a;
                    lastPeer = a.getAddress().getHostAddress() + ":" + a.getPort();
                }
                peer = lastPeer;
            }
            Received r = new Received(bytes, cut, listener, peer, nowMicros());
            if (handoff.reserveDatagram(r)) {
                chunk.add(r);
            } else {
                dropped.inc();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!chunk.isEmpty()) {
                handoff.publish(chunk);
                chunk = new ArrayList<>();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a datagram socket stays open: one bad read must not stop the listener
            LOG.warn("source={} status=receive_error listen={} error=\"{}\"", id, listener.config.uri(), cause.toString());
        }
    }
}
