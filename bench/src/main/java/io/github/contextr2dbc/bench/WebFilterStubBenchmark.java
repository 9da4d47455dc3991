package io.github.contextr2dbc.bench;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.bench.stub.StubConnectionFactory;
import io.github.contextr2dbc.spring.ContextR2dbcWebFilter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpCookie;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.http.server.reactive.AbstractServerHttpRequest;
import org.springframework.http.server.reactive.AbstractServerHttpResponse;
import org.springframework.http.server.reactive.SslInfo;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.server.adapter.DefaultServerWebExchange;
import org.springframework.web.server.i18n.AcceptHeaderLocaleContextResolver;
import org.springframework.web.server.session.DefaultWebSessionManager;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What {@code ContextR2dbcWebFilter} itself costs per request, without HTTP or a database: one exchange (an
 * in-memory request and response, whose commit runs the {@code beforeCommit} actions as the server's does),
 * through the filter (or none), to a handler, then completed as {@code HttpWebHandlerAdapter} does. Run with
 * {@code -prof gc}; subtract {@code filter=none} from the others for the filter's share.
 *
 * <ul>
 * <li>{@code ping}: the handler writes {@code pong} and asks for no session (what {@code GET /ping} does).</li>
 * <li>{@code sessionUnused}: the handler asks for a session ({@code dbSession}) but runs no statement.</li>
 * <li>{@code pointRead}: the handler runs the point read on the in-memory stub database, then writes.</li>
 * </ul>
 * With {@code filter=none…}, these two run the handler in {@code UnitOfWork.inNewUnitOfWork} (which commits after
 * the handler, not before the response is committed: the least a unit of work costs). The others:
 * <ul>
 * <li>{@code stream}: the handler writes a {@code Flux} of two buffers with no length (a streamed body).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = BenchSettings.FORKS, jvmArgsAppend = {BenchSettings.HEAP_MIN, BenchSettings.HEAP_MAX, BenchSettings.GC})
@Warmup(iterations = BenchSettings.WARMUP_ITERATIONS, time = BenchSettings.WARMUP_SECONDS, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = BenchSettings.MEASUREMENT_ITERATIONS, time = BenchSettings.MEASUREMENT_SECONDS,
        timeUnit = TimeUnit.SECONDS)
public class WebFilterStubBenchmark {

    private static final byte[] PONG = "pong".getBytes(StandardCharsets.US_ASCII);

    private static final URI PING = URI.create("http://localhost/ping");

    /**
     * {@code none}: no filter (the handler alone); {@code none+beforeCommit}: a filter that only registers a
     * {@code beforeCommit} action doing nothing (what Spring's response commit costs once any filter registers
     * one); {@code context}: {@code ContextR2dbcWebFilter.standard()}.
     */
    @Param({"none", "none+beforeCommit", "context"})
    public String filter;

    private final StubConnectionFactory stub = new StubConnectionFactory();

    private final DataBufferFactory buffers = DefaultDataBufferFactory.sharedInstance;

    private final ServerCodecConfigurer codecs = ServerCodecConfigurer.create();

    private final DefaultWebSessionManager sessions = new DefaultWebSessionManager();

    private final AcceptHeaderLocaleContextResolver locales = new AcceptHeaderLocaleContextResolver();

    private WebFilter webFilter;

    private Database db;

    @Setup(Level.Trial)
    public void setUp() {
        this.webFilter = switch (this.filter) {
            case "none" -> (exchange, chain) -> chain.filter(exchange);
            case "none+beforeCommit" -> (exchange, chain) -> {
                exchange.getResponse().beforeCommit(Mono::empty);
                return chain.filter(exchange);
            };
            case "context" -> ContextR2dbcWebFilter.standard();
            default -> throw new IllegalArgumentException("filter must be none, none+beforeCommit or context, was "
                    + this.filter);
        };
        this.db = BenchSettings.database("stub", this.stub);
        if (!"pong".equals(run(this::pingHandler)) || !pointRead().contains("\"id\":1")) {
            throw new IllegalStateException("The stub exchange did not answer as expected");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        this.db.close().block();
    }

    @Benchmark
    public String ping() {
        return run(this::pingHandler);
    }

    @Benchmark
    public String sessionUnused() {
        return run(inUnitOfWork(exchange -> UnitOfWork.dbSession(this.db).then(pingHandler(exchange))));
    }

    @Benchmark
    public String pointRead() {
        return run(inUnitOfWork(exchange -> UnitOfWork.dbSession(this.db)
                .flatMap(session -> session.sql(Workload.READ_SQL).bind(0, 1).one(Item::of))
                .flatMap(item -> write(exchange, "{\"id\":" + item.id() + "}"))));
    }

    @Benchmark
    public String stream() {
        return run(exchange -> exchange.getResponse().writeWith(Flux.just("po", "ng")
                .map(text -> this.buffers.wrap(text.getBytes(StandardCharsets.US_ASCII)))));
    }

    /** With no filter, {@code handler} in a unit of work of its own ({@code inNewUnitOfWork}); else as it is. */
    private WebFilterChain inUnitOfWork(WebFilterChain handler) {
        return this.filter.startsWith("none") ? exchange -> UnitOfWork.inNewUnitOfWork(handler.filter(exchange))
                : handler;
    }

    private Mono<Void> pingHandler(ServerWebExchange exchange) {
        return exchange.getResponse().writeWith(Mono.fromSupplier(() -> this.buffers.wrap(PONG)));
    }

    private Mono<Void> write(ServerWebExchange exchange, String body) {
        exchange.getResponse().getHeaders().setContentType(MediaType.APPLICATION_JSON);
        return exchange.getResponse().writeWith(
                Mono.fromSupplier(() -> this.buffers.wrap(body.getBytes(StandardCharsets.US_ASCII))));
    }

    /** One exchange through the filter to {@code handler}, completed as the server does; the body written. */
    private String run(WebFilterChain handler) {
        StubRequest request = new StubRequest();
        StubResponse response = new StubResponse(this.buffers);
        ServerWebExchange exchange = new DefaultServerWebExchange(request, response, this.sessions, this.codecs,
                this.locales);
        this.webFilter.filter(exchange, handler).then(Mono.defer(response::setComplete)).block();
        return response.body;
    }

    /** {@code GET /ping}, no headers, no body. */
    private static final class StubRequest extends AbstractServerHttpRequest {

        StubRequest() {
            super(HttpMethod.GET, PING, null, new HttpHeaders());
        }

        @Override
        protected MultiValueMap<String, HttpCookie> initCookies() {
            return new LinkedMultiValueMap<>();
        }

        @Override
        protected SslInfo initSslInfo() {
            return null;
        }

        @Override
        public <T> T getNativeRequest() {
            throw new UnsupportedOperationException();
        }

        @Override
        public InetSocketAddress getRemoteAddress() {
            return null;
        }

        @Override
        public Flux<DataBuffer> getBody() {
            return Flux.empty();
        }
    }

    /** Keeps the body written as text; its commit runs the {@code beforeCommit} actions as a server's does. */
    private static final class StubResponse extends AbstractServerHttpResponse {

        private String body = "";

        StubResponse(DataBufferFactory buffers) {
            super(buffers);
        }

        @Override
        public <T> T getNativeResponse() {
            throw new UnsupportedOperationException();
        }

        @Override
        protected Mono<Void> writeWithInternal(Publisher<? extends DataBuffer> body) {
            return Flux.from(body).doOnNext(buffer -> {
                this.body += buffer.toString(StandardCharsets.US_ASCII);
                DataBufferUtils.release(buffer);
            }).then();
        }

        @Override
        protected Mono<Void> writeAndFlushWithInternal(Publisher<? extends Publisher<? extends DataBuffer>> body) {
            return Flux.from(body).concatMap(this::writeWithInternal).then();
        }

        @Override
        protected void applyStatusCode() {
        }

        @Override
        protected void applyHeaders() {
        }

        @Override
        protected void applyCookies() {
        }
    }
}
