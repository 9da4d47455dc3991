package io.github.contextr2dbc.spring.boot;

import java.net.SocketAddress;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import org.jspecify.annotations.Nullable;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;
import reactor.netty.channel.ChannelOperations;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Works around a Reactor Netty server bug (reactor-netty issue 4361, fixed in Reactor Netty 1.3.8 with
 * Netty 4.2.19): on an HTTP/1.1 keep-alive connection, after a request that was buffered while the
 * previous one was finishing is answered at once, the server drains its queue of buffered requests without
 * asking the channel for the next read, and the connection is never read again: the client's next request
 * waits until the client gives up.
 *
 * <p>The server reads on demand (auto-read off): every read is asked for by a {@code read()} call. This
 * handler sits right before Reactor Netty's {@code HttpTrafficHandler} and watches two things pass: the
 * event that a request's operations terminated (after which the server must either dispatch a buffered
 * request or read the next one), and every {@code read()} asked for on the connection. When the tasks
 * that event scheduled have run (it checks in a task queued after them, on the connection's event loop),
 * if no read was asked for since, no request is in progress (a request in progress reads its body itself,
 * so backpressure on request bodies is untouched) and the connection is open, it asks for one read. That
 * read is what the server does itself whenever its queue is empty; an extra one while a read is pending
 * changes nothing.
 *
 * <p>It is added to HTTP/1.1 pipelines only (HTTP/2 streams do not go through that code). Unlike the
 * server's own read in that place, it does not arm the idle timeout ({@code server.netty.idle-timeout})
 * of the connection it rescues. The event is
 * recognised by its class name, which is internal to Reactor Netty: if a later version renames it, this
 * handler does nothing, and the later version is expected to carry the fix.
 */
final class KeepAliveReadRearm extends ChannelDuplexHandler {

    /** The handler's name in the channel pipeline. */
    static final String NAME = "contextR2dbc.keepAliveReadRearm";

    private static final String TERMINATED_EVENT = "reactor.netty.http.server.HttpServerOperationsTerminatedEvent";

    /** Written and read on the connection's event loop only. */
    private boolean readSinceTerminated;

    /** {@link #addTo(Channel)} for a new connection ({@code HttpServer.doOnChannelInit}). */
    static void addTo(ConnectionObserver observer, Channel channel, @Nullable SocketAddress remoteAddress) {
        addTo(channel);
    }

    /**
     * Adds a handler to the pipeline of a connection, if it is an HTTP/1.1 server pipeline (one with
     * Reactor Netty's {@code HttpTrafficHandler}) that has none yet; does nothing to others. Called when a
     * connection is initialised and again for each request ({@code HttpServer.doOnConnection}), which
     * covers pipelines configured late (HTTP/1.1 chosen by ALPN over TLS).
     */
    static void addTo(Channel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        if (pipeline.get(NettyPipeline.HttpTrafficHandler) != null && pipeline.get(NAME) == null) {
            pipeline.addBefore(NettyPipeline.HttpTrafficHandler, NAME, new KeepAliveReadRearm());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (!TERMINATED_EVENT.equals(event.getClass().getName())) {
            ctx.fireUserEventTriggered(event);
            return;
        }
        this.readSinceTerminated = false;
        // HttpTrafficHandler reacts to the event now: it reads, or queues a task that dispatches what it buffered
        ctx.fireUserEventTriggered(event);
        // so this check runs after that task
        ctx.executor().execute(() -> rearm(ctx));
    }

    @Override
    public void read(ChannelHandlerContext ctx) throws Exception {
        this.readSinceTerminated = true;
        ctx.read();
    }

    private void rearm(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        if (this.readSinceTerminated || ctx.isRemoved() || !channel.isActive() || channel.config().isAutoRead()) {
            return;
        }
        if (ChannelOperations.get(channel) instanceof HttpServerRequest) {
            return;
        }
        ctx.read();
    }
}
