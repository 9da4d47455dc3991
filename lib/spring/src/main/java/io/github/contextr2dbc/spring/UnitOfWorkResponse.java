package io.github.contextr2dbc.spring;

import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The response as the handler chain sees it: tells a single-value body (a {@link Mono}, written at once:
 * the unit of work finishes before the response commits) from a streamed one (any other publisher, e.g.
 * a {@code Flux} written as a JSON array, NDJSON or server-sent events: the unit of work finishes after
 * the last element, before the end of the response is sent).
 */
final class UnitOfWorkResponse extends ServerHttpResponseDecorator {

    private final RequestUnitOfWork request;

    UnitOfWorkResponse(ServerHttpResponse delegate, RequestUnitOfWork request) {
        super(delegate);
        this.request = request;
    }

    @Override
    public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
        if (body instanceof Mono) {
            return super.writeWith(body);
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
}
