package io.github.contextr2dbc.test;

import java.lang.annotation.Annotation;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DbSession;
import io.r2dbc.spi.Connection;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The JUnit 5 extension behind {@link RollbackPerTest} (register it through the annotation).
 *
 * <p>JUnit's callbacks are synchronous, so this extension waits on the test's thread (never on an event
 * loop) for the connections it pins before the test and for the rollback after it.
 */
public final class RollbackPerTestExtension implements BeforeEachCallback, AfterEachCallback {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(RollbackPerTestExtension.class);

    private static final Duration SETUP_TIMEOUT = Duration.ofSeconds(60);

    private static final boolean SPRING_TEST =
            present("org.springframework.test.context.junit.jupiter.SpringExtension");

    /** The databases pinned by a running test, and by which: tests pinning the same database must not overlap. */
    private static final Map<Database, String> PINNED_BY = new ConcurrentHashMap<>();

    /** Used by {@link RollbackPerTest}. */
    public RollbackPerTestExtension() {
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        RollbackPerTest settings = settings(context.getRequiredTestClass());
        List<PinTarget> targets = targets(context);
        Optional<CommitAndCleanUp> commit = AnnotationSupport.findAnnotation(context.getRequiredTestMethod(),
                CommitAndCleanUp.class)
                .or(() -> findOnClasses(context.getRequiredTestClass(), CommitAndCleanUp.class));
        State state = new State(context.getDisplayName(), targets, commit.orElse(null));
        claim(state);
        context.getStore(NAMESPACE).put(State.class, state);
        try {
            if (state.commit != null) {
                for (PinTarget target : targets) {
                    TouchedTables touched = state.touched.computeIfAbsent(primaryOf(target),
                            primary -> new TouchedTables());
                    target.database.connectionSource(pooled -> pooled.map(
                            connection -> new RecordingConnection(connection, touched)));
                }
                return;
            }
            pin(state, settings);
        } catch (RuntimeException | Error e) {
            context.getStore(NAMESPACE).remove(State.class);
            List<String> problems = finish(state);
            if (!problems.isEmpty()) {
                e.addSuppressed(new IllegalStateException(String.join("; ", problems)));
            }
            throw e;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        State state = context.getStore(NAMESPACE).remove(State.class, State.class);
        if (state == null) {
            return;
        }
        List<String> problems = finish(state);
        if (!problems.isEmpty()) {
            throw new AssertionError("@RollbackPerTest: " + String.join("; ", problems));
        }
    }

    static void pin(State state, RollbackPerTest settings) {
        Duration turnTimeout = Duration.ofMillis(settings.turnTimeoutMillis());
        // primaries first: each gets a connection in a transaction of its own, opened by a session of its own
        for (PinTarget target : state.targets) {
            if (target.primary != null) {
                continue;
            }
            DbSession session = target.database.newSession();
            state.sessions.add(session);
            Connection physical = session.withConnection(Mono::just).next().block(SETUP_TIMEOUT);
            if (physical == null) {
                throw new IllegalStateException("No connection for database '" + target.database.name() + "'");
            }
            state.pinned.put(target.database, new PinnedConnection(target.database.name(), physical, turnTimeout,
                    settings.checkDeferredConstraints()));
        }
        for (PinTarget target : state.targets) {
            PinnedConnection pinned = state.pinned.get(primaryOf(target));
            if (pinned == null) {
                throw new IllegalStateException("Database '" + target.database.name() + "' is a replica of '"
                        + primaryOf(target).name() + "', which the test does not know: declare the primary too");
            }
            target.database.connectionSource(pooled -> pinned.acquire());
        }
    }

    /** Restores every database, rolls back or cleans up; the problems found (never throws). */
    static List<String> finish(State state) {
        List<String> problems = new ArrayList<>();
        try {
            for (PinnedConnection pinned : state.pinned.values()) {
                List<String> found = pinned.end().block(SETUP_TIMEOUT);
                if (found != null) {
                    problems.addAll(found);
                }
            }
            for (PinTarget target : state.targets) {
                target.database.connectionSource(null);
                target.database.onCommitHooks(null);
            }
            for (DbSession session : state.sessions) {
                session.rollback().then(Mono.defer(session::close)).block(SETUP_TIMEOUT);
            }
            if (state.commit != null) {
                cleanUp(state);
            }
        } catch (RuntimeException e) {
            problems.add("cleaning up failed: " + e);
        } finally {
            for (PinTarget target : state.targets) {
                PINNED_BY.remove(target.database, state.owner);
            }
        }
        return problems;
    }

    private static void cleanUp(State state) {
        CommitAndCleanUp commit = state.commit;
        for (Map.Entry<Database, TouchedTables> entry : state.touched.entrySet()) {
            List<String> tables = commit != null && commit.tables().length > 0 ? List.of(commit.tables())
                    : entry.getValue().tables();
            if (tables.isEmpty()) {
                continue;
            }
            Database primary = entry.getKey();
            primary.inSession(session -> Flux.fromIterable(tables)
                            .concatMap(table -> session.sql("SELECT c.oid::regclass::text FROM pg_class c "
                                    + "WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')").bind(0, table)
                                    .one(row -> row.get(0, String.class)))
                            .collectList()
                            .flatMap(existing -> existing.isEmpty() ? Mono.<Void>empty()
                                    : session.sql("TRUNCATE TABLE " + String.join(", ", existing) + " CASCADE")
                                            .execute()))
                    .then().block(SETUP_TIMEOUT);
        }
    }

    static void claim(State state) {
        for (PinTarget target : state.targets) {
            String other = PINNED_BY.putIfAbsent(target.database, state.owner);
            if (other != null) {
                for (PinTarget claimed : state.targets) {
                    if (claimed == target) {
                        break;
                    }
                    PINNED_BY.remove(claimed.database, state.owner);
                }
                throw new IllegalStateException("Database '" + target.database.name() + "' is already pinned by "
                        + "the test '" + other + "', running at the same time: tests that use @RollbackPerTest on "
                        + "the same databases must not run in parallel (give them a common @ResourceLock, or run "
                        + "them sequentially)");
            }
        }
    }

    private static Database primaryOf(PinTarget target) {
        return target.primary != null ? target.primary : target.database;
    }

    private static List<PinTarget> targets(ExtensionContext context) {
        List<PinTarget> targets;
        if (SPRING_TEST && SpringDatabases.runsWithSpring(context.getRequiredTestClass())) {
            targets = SpringDatabases.find(context);
        } else {
            targets = fieldTargets(context);
        }
        if (targets.isEmpty()) {
            throw new IllegalStateException("@RollbackPerTest found no Database for " + context.getDisplayName()
                    + ": declare Database fields in the test class, or run it with Spring (@SpringBootTest) and "
                    + "declare the databases under context-r2dbc.databases (or spring.r2dbc.url)");
        }
        return targets;
    }

    private static List<PinTarget> fieldTargets(ExtensionContext context) {
        Map<Database, String> replicaOf = new IdentityHashMap<>();
        Map<String, Database> byName = new LinkedHashMap<>();
        List<Object> instances = context.getRequiredTestInstances().getAllInstances();
        for (Object instance : instances) {
            for (Class<?> type = instance.getClass(); type != null && type != Object.class;
                    type = type.getSuperclass()) {
                for (Field field : type.getDeclaredFields()) {
                    if (!Database.class.isAssignableFrom(field.getType())) {
                        continue;
                    }
                    Database database = read(field, instance);
                    if (database == null) {
                        continue;
                    }
                    byName.putIfAbsent(database.name(), database);
                    ReplicaOf replica = field.getAnnotation(ReplicaOf.class);
                    if (replica != null) {
                        replicaOf.put(database, replica.value());
                    }
                }
            }
        }
        List<PinTarget> targets = new ArrayList<>();
        for (Database database : byName.values()) {
            String primaryName = replicaOf.get(database);
            Database primary = null;
            if (primaryName != null) {
                primary = byName.get(primaryName);
                if (primary == null) {
                    throw new IllegalStateException("@ReplicaOf(\"" + primaryName + "\") on the field of database '"
                            + database.name() + "' names no Database field of the test class; declare the "
                            + "primary as a field too");
                }
            }
            targets.add(new PinTarget(database, primary));
        }
        return targets;
    }

    @Nullable
    private static Database read(Field field, Object instance) {
        try {
            field.setAccessible(true);
            return (Database) field.get(Modifier.isStatic(field.getModifiers()) ? null : instance);
        } catch (IllegalAccessException | RuntimeException e) {
            throw new IllegalStateException("@RollbackPerTest cannot read the Database field " + field + ": " + e, e);
        }
    }

    private static RollbackPerTest settings(Class<?> testClass) {
        return findOnClasses(testClass, RollbackPerTest.class).orElse(Defaults.SETTINGS);
    }

    private static <A extends Annotation> Optional<A> findOnClasses(Class<?> testClass,
            Class<A> annotation) {
        for (Class<?> type = testClass; type != null; type = type.getEnclosingClass()) {
            Optional<A> found = AnnotationSupport.findAnnotation(type, annotation);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, RollbackPerTestExtension.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** The settings of a test that registered the extension without the annotation. */
    @RollbackPerTest
    static final class Defaults {

        static final RollbackPerTest SETTINGS = Defaults.class.getAnnotation(RollbackPerTest.class);
    }

    /** What one test pinned or recorded. */
    static final class State {

        final String owner;

        final List<PinTarget> targets;

        @Nullable
        final CommitAndCleanUp commit;

        final List<DbSession> sessions = new ArrayList<>();

        final Map<Database, PinnedConnection> pinned = new LinkedHashMap<>();

        final Map<Database, TouchedTables> touched = new LinkedHashMap<>();

        State(String owner, List<PinTarget> targets, @Nullable CommitAndCleanUp commit) {
            this.owner = owner + "#" + System.identityHashCode(this);
            this.targets = targets;
            this.commit = commit;
        }
    }
}
