package io.github.contextr2dbc.spring;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReadAfterTokenTest {

    private static final String KEY = "a shared secret of the instances";

    @Test
    void anInstanceWithTheSameKeyHonoursAnotherInstancesToken() {
        String token = ReadAfterToken.withKey(KEY).issue("16/B374D848");
        assertThat(ReadAfterToken.withKey(KEY).verify(token)).isEqualTo("16/B374D848");
    }

    @Test
    void aForgedOrForeignTokenIsRefused() {
        String token = ReadAfterToken.withKey(KEY).issue("16/B374D848");
        String mac = token.substring(token.indexOf('.'));
        assertThat(ReadAfterToken.withKey(KEY).verify("FF/B374D848" + mac)).isNull();
        assertThat(ReadAfterToken.withKey("another secret of 16+ chars").verify(token)).isNull();
        assertThat(ReadAfterToken.withRandomKey().verify(token)).isNull();
    }

    @Test
    void malformedTokensAreRefusedWithoutErrors() {
        ReadAfterToken tokens = ReadAfterToken.withKey(KEY);
        for (String bad : new String[] {null, "", ".", "16/B374D848", "16/B374D848.", "not/hex.abc", "x.y.z",
            "16/B374D848.!!!", "1/2/3.abcd"}) {
            assertThat(tokens.verify(bad)).as(String.valueOf(bad)).isNull();
        }
    }

    /** A clock whose time the test sets. */
    private static final class TestClock extends Clock {

        private Instant now = Instant.parse("2026-11-29T12:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return this.now;
        }
    }

    @Test
    void aTokenIsHonouredUntilItsTimeToLiveHasPassedThenIgnored() {
        TestClock clock = new TestClock();
        ReadAfterToken tokens = ReadAfterToken.withKey(KEY).validFor(Duration.ofSeconds(30)).withClock(clock);
        String token = tokens.issue("16/B374D848");
        assertThat(token).startsWith("16/B374D848." + clock.now.getEpochSecond() + ".");
        clock.now = clock.now.plusSeconds(30);
        assertThat(tokens.verify(token)).isEqualTo("16/B374D848");
        clock.now = clock.now.plusSeconds(1);
        assertThat(tokens.verify(token)).as("31 s after it was issued").isNull();
        // another instance with a longer time to live still honours it: the issue time is signed, not the expiry
        assertThat(tokens.validFor(Duration.ofMinutes(1)).verify(token)).isEqualTo("16/B374D848");
    }

    @Test
    void theDefaultTimeToLiveIsFiveMinutes() {
        TestClock clock = new TestClock();
        ReadAfterToken tokens = ReadAfterToken.withKey(KEY).withClock(clock);
        assertThat(tokens.ttl()).isEqualTo(Duration.ofMinutes(5)).isEqualTo(ReadAfterToken.DEFAULT_TTL);
        String token = tokens.issue("0/16B3748");
        clock.now = clock.now.plus(Duration.ofMinutes(5));
        assertThat(tokens.verify(token)).isEqualTo("0/16B3748");
        clock.now = clock.now.plusSeconds(1);
        assertThat(tokens.verify(token)).isNull();
    }

    @Test
    void aMovedIssueTimeOrATokenFromTheFarFutureIsRefused() {
        TestClock clock = new TestClock();
        ReadAfterToken tokens = ReadAfterToken.withKey(KEY).withClock(clock);
        String token = tokens.issue("16/B374D848");
        String[] parts = token.split("\\.");
        long issued = Long.parseLong(parts[1]);
        // a client moving the issue time forward to keep an old token alive: the signature no longer matches
        assertThat(tokens.verify(parts[0] + "." + (issued + 600) + "." + parts[2])).isNull();
        // an instance whose clock runs ahead by less than a minute: honoured; further ahead: refused
        assertThat(tokens.withClock(Clock.offset(clock, Duration.ofSeconds(-59))).verify(token)).isNotNull();
        assertThat(tokens.withClock(Clock.offset(clock, Duration.ofSeconds(-61))).verify(token)).isNull();
        // the earlier format, without an issue time, is not a token any more
        assertThat(tokens.verify(parts[0] + "." + parts[2])).isNull();
        for (String bad : new String[] {"16/B374D848.-5." + parts[2], "16/B374D848.1e9." + parts[2],
            "16/B374D848..", "16/B374D848.1234567890123." + parts[2], token + "AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
            assertThat(tokens.verify(bad)).as(bad).isNull();
        }
    }

    @Test
    void aTimeToLiveUnderASecondIsRefusedWithTheProperty() {
        assertThatThrownBy(() -> ReadAfterToken.withRandomKey().validFor(Duration.ofMillis(500)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("context-r2dbc.routing.token.ttl");
    }

    @Test
    void aShortKeyIsRefusedWithTheFix() {
        assertThatThrownBy(() -> ReadAfterToken.withKey("short"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("context-r2dbc.routing.token.key");
    }
}
