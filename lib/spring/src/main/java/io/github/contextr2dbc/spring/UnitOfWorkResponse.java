package io.github.contextr2dbc.spring;

import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The response as the handler chain sees it: sorts each body by what can still be said through the
 * status.
 *
 * <ul>
 * <li>A single value (a {@link Mono}): written at once; the unit of work finishes when the response
 * commits, before the status is sent.</li>
 * <li>A body of known length (a {@code Content-Length} was set before {@link #writeWith} was called: a
 * {@code Resource}, a handler writing buffers with a length) up to the hold limit: read to its end inside
 * the unit of work and held, then written as one value, so the unit of work finishes before the status is
 * sent, as for a single value. Never more than the declared length is held: a longer body is an error.</li>
 * <li>A body of known length above the hold limit: the unit of work finishes first (before the status is
 * sent), then the body is read and written, outside the unit of work.</li>
 * <li>Any other publisher, and every {@link #writeAndFlushWith} (a {@code Flux} sent as a JSON array,
 * NDJSON or server-sent events): a stream; the unit of work finishes after the last element, before the
 * end of the response is sent.</li>
 * </ul>
 */
final class UnitOfWorkResponse extends ServerHttpResponseDecorator {

    private final RequestUnitOfWork request;

    private final long holdLimit;

    UnitOfWorkResponse(ServerHttpResponse delegate, RequestUnitOfWork request, long holdLimit) {
        super(delegate);
        this.request = request;
        this.holdLimit = holdLimit;
    }

    @Override
    public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
        if (body instanceof Mono) {
            return super.writeWith(body);
        }
        long length = getHeaders().getContentLength();
        if (length >= 0 && length <= this.holdLimit) {
            return super.writeWith(held(body, (int) length));
        }
        if (length > this.holdLimit) {
            return this.request.finishBeforeBody()
                    .onErrorResume(error -> {
                        // the response that will answer the error is not this one: its length and type go
                        getHeaders().clearContentHeaders();
                        return released(body).then(Mono.error(error));
                    })
                    .then(Mono.defer(() -> super.writeWith(body)));
        }
        this.request.markStreaming();
        Flux<DataBuffer> stream = Flux.from(body);
        return super.writeWith(stream.concatWith(Mono.defer(this.request::afterStream).then(Mono.empty())));
    }

    @Override
    public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
        this.request.markStreaming();
        Flux<Publisher<? extends DataBuffer>> stream = Flux.from(body);
        return super.writeAndFlushWith(stream.concatWith(Mono.defer(this.request::afterStream).then(Mono.empty())));
    }

    /** The whole body as one buffer (empty if the body is), holding at most {@code length} bytes. */
    private static Mono<DataBuffer> held(Publisher<? extends DataBuffer> body, int length) {
        return DataBufferUtils.join(body, length)
                .onErrorMap(DataBufferLimitException.class, error -> new IllegalStateException("The response body is "
                        + "longer than its Content-Length (" + length + " bytes): set the length the body has, or none "
                        + "to stream it", error));
    }

    /**
     * A body that was never written (the unit of work failed before it): read it to release its buffers.
     * Its errors are dropped (the failure being reported is the unit of work's).
     */
    private static Mono<Void> released(Publisher<? extends DataBuffer> body) {
        return Flux.from(body).doOnNext(DataBufferUtils::release).then().onErrorResume(error -> Mono.empty());
    }
}
