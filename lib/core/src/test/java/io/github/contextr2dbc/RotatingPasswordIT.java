package io.github.contextr2dbc;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.github.contextr2dbc.launcher.PostgresPair;
import io.r2dbc.spi.R2dbcException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A password that rotates ({@link DatabaseBuilder#url(String, java.util.function.Supplier)}), against a primary
 * that asks the role for its password (scram-sha-256): asked for each new connection, never cached.
 */
class RotatingPasswordIT {

    private static final String ROLE = "ctx_rotating";

    private final TestDatabase pg = new TestDatabase("rotating_password");

    private String url(String userInfo) {
        PostgresPair pair = this.pg.pair;
        return "r2dbc:postgresql://" + userInfo + "@" + pair.host() + ":" + pair.primaryPort() + "/" + this.pg.name;
    }

    private static Mono<String> currentUser(Database db, double sleepSeconds) {
        return inNewUnitOfWork(dbSession(db).flatMap(session -> session
                .sql("SELECT current_user::text, pg_sleep(" + sleepSeconds + ")::text")
                .one(row -> row.get(0, String.class))));
    }

    @Test
    void eachNewConnectionAsksForThePasswordOfTheMomentAndAStaleOneIsRefused() {
        try {
            this.pg.pair.requirePassword(ROLE, "first-secret");
        } catch (UnsupportedOperationException e) {
            Assumptions.abort(e.getMessage());
        }
        AtomicReference<String> secret = new AtomicReference<>("first-secret");
        AtomicInteger asked = new AtomicInteger();
        Database db = Database.builder("rotating").url(url(ROLE), () -> {
            asked.incrementAndGet();
            return secret.get();
        }).maxSize(2).build();
        Database stale = Database.builder("stale").url(url(ROLE), () -> "first-secret").build();
        Database urlPassword = Database.builder("url-password").url(url(ROLE + ":not-the-password"), secret::get)
                .build();
        try {
            assertThat(currentUser(db, 0).block(TestDatabase.TIMEOUT)).isEqualTo(ROLE);
            assertThat(asked).as("asked once, for the one connection").hasValue(1);

            this.pg.pair.execute("ALTER ROLE " + ROLE + " PASSWORD 'second-secret'");
            secret.set("second-secret");
            // two units of work at once: the pooled connection (authenticated before) and a new one
            assertThat(Mono.zip(currentUser(db, 0.3), currentUser(db, 0.3), (a, b) -> a + "," + b)
                    .block(TestDatabase.TIMEOUT)).isEqualTo(ROLE + "," + ROLE);
            assertThat(asked).as("asked again for the second connection, and got the new password").hasValue(2);

            assertThat(currentUser(urlPassword, 0).block(TestDatabase.TIMEOUT))
                    .as("the supplier replaces the URL's password").isEqualTo(ROLE);

            Throwable refused = catchThrowable(() -> currentUser(stale, 0).block(TestDatabase.TIMEOUT));
            assertThat(refused).as("the server really asks for the password").isNotNull();
            Throwable cause = refused;
            while (cause != null && !(cause instanceof R2dbcException)) {
                cause = cause.getCause();
            }
            assertThat(cause).isInstanceOf(R2dbcException.class);
            assertThat(((R2dbcException) cause).getSqlState()).as("invalid password").isEqualTo("28P01");
            assertThat(refused.toString()).doesNotContain("first-secret");
        } finally {
            db.close().block(TestDatabase.TIMEOUT);
            stale.close().block(TestDatabase.TIMEOUT);
            urlPassword.close().block(TestDatabase.TIMEOUT);
        }
    }
}
