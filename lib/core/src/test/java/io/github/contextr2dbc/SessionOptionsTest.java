package io.github.contextr2dbc;

import java.time.Duration;

import io.r2dbc.spi.IsolationLevel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SessionOptionsTest {

    @Test
    void defaultsSendAPlainBegin() {
        assertThat(SessionOptions.DEFAULTS.begin()).isEqualTo("BEGIN");
    }

    @Test
    void everyOptionIsScopedToTheTransaction() {
        SessionOptions options = SessionOptions.builder()
                .isolationLevel(IsolationLevel.REPEATABLE_READ)
                .readOnly(true)
                .statementTimeout(Duration.ofSeconds(2))
                .lockTimeout(Duration.ofMillis(250))
                .build();
        assertThat(options.begin()).isEqualTo("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
                + "SET LOCAL statement_timeout = 2000; SET LOCAL lock_timeout = 250");
        assertThat(options.toBuilder().build()).isEqualTo(options);
    }

    @Test
    void timeoutsBelowOneMillisecondAreRefusedWithTheRemedy() {
        assertThatThrownBy(() -> SessionOptions.builder().statementTimeout(Duration.ofNanos(10)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1 ms")
                .hasMessageContaining("pass null");
    }
}
