package io.github.contextr2dbc.spring.webapp;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.Using;
import io.github.contextr2dbc.spring.WithoutUnitOfWork;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.data.r2dbc.core.R2dbcEntityTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;

/** Endpoints for the web integration tests. */
@RestController
@RequestMapping("/t")
class TestController {

    private final Database main;

    private final Database audit;

    private final Database tiny;

    private final ItemRepository repository;

    private final R2dbcEntityTemplate template;

    private final DatabaseClient client;

    TestController(Databases databases, ItemRepository repository, R2dbcEntityTemplate template,
            DatabaseClient client) {
        this.main = databases.get("main");
        this.audit = databases.get("audit");
        this.tiny = databases.get("tiny");
        this.repository = repository;
        this.template = template;
        this.client = client;
    }

    private Mono<Void> insertItem(String name) {
        return dbSession(this.main).flatMap(s -> s.sql("INSERT INTO item (name) VALUES ($1)").bind(0, name).execute());
    }

    // ---- commit by status ----

    @PostMapping("/items")
    Mono<ResponseEntity<Map<String, String>>> create(@RequestParam String name,
            @RequestParam(defaultValue = "200") int status) {
        return insertItem(name).thenReturn(ResponseEntity.status(status).body(Map.of("name", name)));
    }

    @PostMapping("/items/empty")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    Mono<Void> createEmpty(@RequestParam String name) {
        return insertItem(name);
    }

    @PostMapping("/items/failing")
    Mono<String> createThenFail(@RequestParam String name) {
        return insertItem(name).then(Mono.error(new IllegalStateException("handler failed after writing")));
    }

    @PostMapping("/items/status-exception")
    Mono<String> createThenStatusException(@RequestParam String name) {
        return insertItem(name).then(Mono.error(new ResponseStatusException(HttpStatus.CONFLICT, "taken")));
    }

    @PostMapping("/items/redirect")
    Mono<ResponseEntity<Void>> createThenRedirect(@RequestParam String name) {
        return insertItem(name).thenReturn(ResponseEntity.status(HttpStatus.SEE_OTHER)
                .header("Location", "/t/ok").build());
    }

    @PostMapping("/items/slow")
    Mono<String> createThenHang(@RequestParam String name) {
        return insertItem(name).then(Mono.delay(Duration.ofMinutes(5))).thenReturn("late");
    }

    // ---- Spring Data R2DBC ----

    @PostMapping("/repository")
    Mono<ResponseEntity<Item>> createWithRepository(@RequestParam String name,
            @RequestParam(defaultValue = "200") int status) {
        return this.repository.save(new Item(null, name)).map(item -> ResponseEntity.status(status).body(item));
    }

    @PostMapping("/template")
    Mono<ResponseEntity<Item>> createWithTemplate(@RequestParam String name,
            @RequestParam(defaultValue = "200") int status) {
        return this.template.insert(new Item(null, name)).map(item -> ResponseEntity.status(status).body(item));
    }

    @PostMapping("/client")
    Mono<ResponseEntity<Long>> createWithClient(@RequestParam String name,
            @RequestParam(defaultValue = "200") int status) {
        return this.client.sql("INSERT INTO item (name) VALUES (:name)").bind("name", name).fetch().rowsUpdated()
                .map(count -> ResponseEntity.status(status).body(count));
    }

    /**
     * Spring Data and the toolkit in one request see one session: the repository reads the toolkit's uncommitted row.
     */
    @PostMapping("/mixed")
    Mono<Long> mixed(@RequestParam String name) {
        return insertItem(name).then(this.repository.count());
    }

    // ---- skipping ----

    @GetMapping("/presence")
    Mono<Map<String, Boolean>> presence() {
        return UnitOfWork.isPresent().map(present -> Map.of("present", present));
    }

    @WithoutUnitOfWork
    @GetMapping("/presence/opted-out")
    Mono<Map<String, Boolean>> presenceOptedOut() {
        return UnitOfWork.isPresent().map(present -> Map.of("present", present));
    }

    @WithoutUnitOfWork
    @PostMapping("/items/opted-out")
    Mono<ResponseEntity<String>> createOptedOut(@RequestParam String name) {
        // no request unit of work: this handler runs its own, which commits although the status is 400
        return UnitOfWork.inNewUnitOfWork(insertItem(name)).thenReturn(ResponseEntity.badRequest()
                .body("own unit of work"));
    }

    /** Answered from a timer thread, after the handler returned: no database involved. */
    @GetMapping("/delayed")
    Mono<String> delayed() {
        return Mono.delay(Duration.ofMillis(20)).thenReturn("late");
    }

    @GetMapping("/no-database")
    Map<String, String> noDatabase() {
        return Map.of("status", "ok");
    }

    /** Asks for sessions but runs no statement: they never need a connection. */
    @GetMapping("/lazy")
    Mono<String> lazy() {
        return dbSession(this.main).then(dbSession(this.audit)).thenReturn("lazy");
    }

    // ---- deferred constraints, checked at COMMIT ----

    private Mono<Void> violateAtCommit(String kind, String name) {
        return dbSession(this.main).flatMap(s -> switch (kind) {
            case "unique" -> s.sql("INSERT INTO deferred_code (name, code) VALUES ($1, $2), ($1, $2)")
                    .bind(0, name).bind(1, name).execute();
            case "fk" -> s.sql("INSERT INTO child (parent_id, name) VALUES (-1, $1)").bind(0, name).execute();
            case "unmapped" -> s.sql("INSERT INTO checked (name, value) VALUES ($1, -1)").bind(0, name).execute();
            default -> Mono.error(new IllegalArgumentException(kind));
        });
    }

    @PostMapping("/deferred/{kind}/mono")
    Mono<Map<String, String>> deferredMono(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name).thenReturn(Map.of("name", name));
    }

    @PostMapping("/deferred/{kind}/empty")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    Mono<Void> deferredEmpty(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name);
    }

    @PostMapping("/deferred/{kind}/entity")
    Mono<ResponseEntity<Map<String, String>>> deferredEntity(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name).thenReturn(ResponseEntity.status(HttpStatus.CREATED)
                .body(Map.of("name", name)));
    }

    @PostMapping("/deferred/{kind}/entity-without-body")
    Mono<ResponseEntity<Void>> deferredEntityWithoutBody(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name).thenReturn(ResponseEntity.noContent().build());
    }

    /** A GET (so also a HEAD) whose commit fails. */
    @GetMapping("/deferred/{kind}/get")
    Mono<Map<String, String>> deferredGet(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name).thenReturn(Map.of("name", name));
    }

    /** A 1 MB single value. */
    @PostMapping("/deferred/{kind}/mono-1mb")
    Mono<String> deferredLargeMono(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name).thenReturn("x".repeat(1024 * 1024));
    }

    /** Declares 10 bytes, writes 20: an error, before the status is sent. */
    @PostMapping("/items/too-long")
    Mono<Void> createThenWriteTooLong(@RequestParam String name, ServerHttpResponse response) {
        response.getHeaders().setContentLength(10);
        return insertItem(name).then(response.writeWith(Flux.range(0, 2).map(i -> buffer(response, 10))));
    }

    /** A Resource, which Spring writes as a Flux of buffers with a Content-Length. */
    @PostMapping("/deferred/{kind}/resource")
    Mono<Resource> deferredResource(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name).thenReturn(new ByteArrayResource(new byte[10]));
    }

    /** A Resource longer than the hold limit (1 MiB): the unit of work finishes before the body is read. */
    @PostMapping("/deferred/{kind}/large-resource")
    Mono<Resource> deferredLargeResource(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name).thenReturn(new ByteArrayResource(new byte[2 * 1024 * 1024]));
    }

    @PostMapping("/deferred/{kind}/entity-resource")
    Mono<ResponseEntity<Resource>> deferredEntityResource(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name).thenReturn(ResponseEntity.ok(new ByteArrayResource(new byte[10])));
    }

    @PostMapping("/deferred/{kind}/bytes")
    Mono<byte[]> deferredBytes(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name).thenReturn(new byte[10]);
    }

    @PostMapping("/deferred/{kind}/write-mono")
    Mono<Void> deferredWriteMono(@PathVariable String kind, @RequestParam String name, ServerHttpResponse response) {
        return violateAtCommit(kind, name).then(response.writeWith(Mono.fromSupplier(() -> buffer(response, 10))));
    }

    /** Two buffers with a Content-Length: a body of known length. */
    @PostMapping("/deferred/{kind}/write-flux-length")
    Mono<Void> deferredWriteFluxWithLength(@PathVariable String kind, @RequestParam String name,
            ServerHttpResponse response) {
        response.getHeaders().setContentLength(20);
        return violateAtCommit(kind, name).then(response.writeWith(
                Flux.range(0, 2).map(i -> buffer(response, 10))));
    }

    /** Two buffers, no length: a stream, aborted when the commit fails. */
    @PostMapping("/deferred/{kind}/write-flux")
    Mono<Void> deferredWriteFlux(@PathVariable String kind, @RequestParam String name, ServerHttpResponse response) {
        return violateAtCommit(kind, name).then(response.writeWith(Flux.range(0, 2).map(i -> buffer(response, 10))));
    }

    /** A 201 with every header that describes the success, and a cookie. */
    @PostMapping("/deferred/{kind}/created")
    Mono<ResponseEntity<Map<String, String>>> deferredCreated(@PathVariable String kind, @RequestParam String name,
            ServerHttpResponse response) {
        response.addCookie(ResponseCookie.from("created", name).build());
        return violateAtCommit(kind, name).thenReturn(ResponseEntity.created(URI.create("/things/" + name))
                .eTag("\"v1\"")
                .lastModified(Instant.parse("2026-01-01T00:00:00Z"))
                .header(HttpHeaders.CONTENT_LOCATION, "/things/" + name)
                .header(HttpHeaders.SET_COOKIE, "raw=" + name)
                .body(Map.of("name", name)));
    }

    @PostMapping("/deferred/{kind}/redirect")
    Mono<ResponseEntity<Void>> deferredRedirect(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name).thenReturn(ResponseEntity.status(HttpStatus.SEE_OTHER)
                .location(URI.create("/things/" + name)).build());
    }

    @PostMapping(value = "/deferred/{kind}/flux", produces = {MediaType.APPLICATION_JSON_VALUE,
            MediaType.APPLICATION_NDJSON_VALUE, MediaType.TEXT_EVENT_STREAM_VALUE})
    Flux<Map<String, Integer>> deferredFlux(@PathVariable String kind, @RequestParam String name) {
        return violateAtCommit(kind, name).thenMany(Flux.range(1, 3).map(n -> Map.of("n", n)));
    }

    /** A body of known length read from the database while it is written: held, then committed. */
    @PostMapping("/held/{kind}")
    Mono<Void> heldFromDatabase(@PathVariable String kind, @RequestParam String name, ServerHttpResponse response) {
        Mono<Void> write = kind.equals("ok") ? insertItem(name) : violateAtCommit(kind, name);
        response.getHeaders().setContentLength(5 * 6);
        return write.then(response.writeWith(dbSession(this.main).flatMapMany(s -> s.sql(
                        "SELECT lpad(n::text, 5, '0') || ' ' FROM numbers WHERE n <= 5 ORDER BY n")
                .map(row -> row.get(0, String.class)))
                .map(text -> response.bufferFactory().wrap(text.getBytes(StandardCharsets.US_ASCII)))));
    }

    private static DataBuffer buffer(ServerHttpResponse response, int size) {
        return response.bufferFactory().wrap(new byte[size]);
    }

    // ---- streaming ----

    private Flux<Map<String, Integer>> numbers() {
        return dbSession(this.main).flatMapMany(s -> s.sql("SELECT n FROM numbers ORDER BY n")
                .map(row -> Map.of("n", row.get(0, Integer.class))));
    }

    @GetMapping(value = "/stream", produces = MediaType.APPLICATION_JSON_VALUE)
    Flux<Map<String, Integer>> stream() {
        return numbers();
    }

    @GetMapping(value = "/stream", produces = MediaType.APPLICATION_NDJSON_VALUE)
    Flux<Map<String, Integer>> streamNdjson() {
        return numbers();
    }

    /** Writes a row, then streams, then fails in the middle of the stream. */
    @PostMapping(value = "/stream/failing", produces = MediaType.APPLICATION_NDJSON_VALUE)
    Flux<Map<String, Integer>> streamThenFail(@RequestParam String name) {
        return insertItem(name).thenMany(numbers()).map(row -> {
            if (row.get("n") == 5000) {
                throw new IllegalStateException("failed in the middle of the stream");
            }
            return row;
        });
    }

    /** Writes a row, then streams everything: committed after the stream ends. */
    @PostMapping(value = "/stream/writing", produces = MediaType.APPLICATION_NDJSON_VALUE)
    Flux<Map<String, Integer>> streamAfterWrite(@RequestParam String name) {
        return insertItem(name).thenMany(numbers());
    }

    // ---- two databases ----

    @PostMapping("/two")
    Mono<String> two(@RequestParam String name) {
        // touches audit first; the unit of work still commits main first (declaration order)
        return dbSession(this.audit).flatMap(s -> s.sql("INSERT INTO audit (note) VALUES ($1)").bind(0, name).execute())
                .then(insertItem(name))
                .thenReturn(name);
    }

    /** main commits; audit's deferred unique constraint fails at its COMMIT, after main's. */
    @PostMapping("/two/audit-fails")
    Mono<String> twoAuditFails(@RequestParam String name) {
        return dbSession(this.audit).flatMap(s -> s.sql("INSERT INTO audit (note) VALUES ($1), ($1)")
                .bind(0, name).execute())
                .then(insertItem(name))
                .thenReturn(name);
    }

    // ---- handler arguments ----

    @GetMapping("/arguments")
    Mono<Map<String, Object>> arguments(DbSession session, @Using("audit") DbSession auditSession, Database database) {
        return dbSession(this.main).map(current -> Map.of(
                "session", session.database().name(),
                "audit", auditSession.database().name(),
                "database", database.name(),
                "sameSession", current == session));
    }

    // ---- problem responses ----

    @PostMapping("/problem/{sqlState}")
    Mono<Integer> problem(@PathVariable String sqlState) {
        return dbSession(this.main).flatMap(s -> s.sql("SELECT fail_with($1)").bind(0, sqlState)
                .one(row -> row.get(0, Integer.class)));
    }

    @PostMapping("/problem/duplicate")
    Mono<Void> duplicate(@RequestParam String name) {
        return insertItem(name).then(insertItem(name));
    }

    /** Writes a row, then asks for the one row of a missing id: RowNotFoundException. */
    @PostMapping("/problem/missing")
    Mono<String> missing(@RequestParam String name) {
        return insertItem(name).then(dbSession(this.main).flatMap(s -> s.sql("SELECT name FROM item WHERE id = $1")
                .bind(0, -1L).single(row -> row.get(0, String.class))));
    }

    @PostMapping("/problem/replica-write")
    Mono<Void> replicaWrite(@Using("replica") DbSession replica, @RequestParam String name) {
        return replica.sql("INSERT INTO item (name) VALUES ($1)").bind(0, name).execute();
    }

    /** Holds tiny's only connection, then asks for another in a unit of work of its own: the acquisition times out. */
    @PostMapping("/problem/busy")
    Mono<Integer> busy() {
        Mono<Integer> selectOne = dbSession(this.tiny).flatMap(s -> s.sql("SELECT 1")
                .one(row -> row.get(0, Integer.class)));
        return selectOne.then(UnitOfWork.inNewUnitOfWork(selectOne));
    }
}
