package io.github.contextr2dbc;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The builder's checks and the settings it fixes (no database: nothing connects when a handle is built). */
class DatabaseBuilderTest {

    private static DatabaseBuilder builder() {
        return Database.builder("main").url("r2dbc:postgresql://app@localhost:5432/shop");
    }

    @Test
    void theAcquireTimeoutDefaultsToTenSecondsAndTimesAcquisitions() {
        DatabaseSettings settings = builder().build().settings();
        assertThat(settings.acquireTimeout).isEqualTo(Database.DEFAULT_ACQUIRE_TIMEOUT);
        assertThat(settings.timesAcquisitions()).isTrue();
    }

    @Test
    void zeroOrNoAcquireTimeoutSwitchesTheTimeoutOff() {
        assertThat(builder().acquireTimeout(Duration.ZERO).build().settings().timesAcquisitions()).isFalse();
        assertThat(builder().noAcquireTimeout().build().settings().timesAcquisitions()).isFalse();
        assertThat(builder().noAcquireTimeout().acquireTimeout(Duration.ofSeconds(2)).build().settings()
                .acquireTimeout).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aNegativeOrMissingAcquireTimeoutIsRefusedWithWhatToDo() {
        assertThatThrownBy(() -> builder().acquireTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Duration.ZERO for none");
        assertThatThrownBy(() -> builder().acquireTimeout(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBuilderWithNowhereToConnectSaysWhatToCall() {
        assertThatThrownBy(() -> Database.builder("lost").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("call url(...)");
    }

    @Test
    void changingTheBuilderAfterBuildChangesNoDatabase() {
        DatabaseBuilder builder = builder().maxSize(3);
        Database built = builder.build();
        builder.maxSize(7);
        assertThat(built.settings().maxSize).isEqualTo(3);
    }
}
