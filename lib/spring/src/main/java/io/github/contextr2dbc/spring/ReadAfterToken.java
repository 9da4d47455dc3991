package io.github.contextr2dbc.spring;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.github.contextr2dbc.Routing;
import org.jspecify.annotations.Nullable;

/**
 * The read-your-own-writes token: a commit's WAL position, when it was issued (epoch seconds), and an
 * HMAC-SHA256 of both (truncated to 128 bits), {@code <lsn>.<issued>.<base64url mac>}, e.g.
 * {@code 0/5450E80.1764412345.q3fJ0...}. Stateless: any instance with the same key verifies it. A client cannot
 * make one up (it would send every read of its requests to the primary, or make them wait), only replay one it
 * was given, which names a position already written, and only until it expires ({@link #validFor(Duration)},
 * default {@link #DEFAULT_TTL}): an expired, forged or malformed token is ignored, as if none was presented.
 * Thread-safe.
 */
public final class ReadAfterToken {

    /** How long a token is honoured unless {@link #validFor(Duration)} says otherwise: 5 minutes. */
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);

    /** How far in the future an issue time may be (another instance's clock running ahead). */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

    private static final String ALGORITHM = "HmacSHA256";

    private static final int MAC_BYTES = 16;

    /** The longest token: a 17-character position, 12 digits of seconds, 22 characters of MAC, two dots. */
    private static final int MAX_LENGTH = 17 + 1 + 12 + 1 + 22;

    private final Mac prototype;

    private final Duration ttl;

    private final Clock clock;

    private ReadAfterToken(Mac prototype, Duration ttl, Clock clock) {
        this.prototype = prototype;
        this.ttl = ttl;
        this.clock = clock;
    }

    private static Mac mac(byte[] key) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("This JVM cannot compute " + ALGORITHM + ", which read-your-own-writes "
                    + "tokens need; disable them with context-r2dbc.routing.token.enabled=false", e);
        }
    }

    /**
     * Tokens signed with {@code key} (every instance of the application must use the same key), valid for
     * {@link #DEFAULT_TTL}.
     *
     * @throws IllegalArgumentException if the key is shorter than 16 characters
     */
    public static ReadAfterToken withKey(String key) {
        if (key == null || key.length() < 16) {
            throw new IllegalArgumentException("The read-your-own-writes token key must have at least 16 characters "
                    + "(context-r2dbc.routing.token.key); use a random secret shared by every instance");
        }
        return new ReadAfterToken(mac(key.getBytes(StandardCharsets.UTF_8)), DEFAULT_TTL, Clock.systemUTC());
    }

    /** Tokens signed with a random key: they work only on this instance, until it restarts. */
    public static ReadAfterToken withRandomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new ReadAfterToken(mac(key), DEFAULT_TTL, Clock.systemUTC());
    }

    /**
     * The same tokens (same key), honoured for {@code ttl} after they were issued (to the second).
     *
     * @throws IllegalArgumentException if {@code ttl} is not at least one second
     */
    public ReadAfterToken validFor(Duration ttl) {
        if (ttl == null || ttl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("The read-your-own-writes token's time to live must be at least 1s "
                    + "(context-r2dbc.routing.token.ttl; got " + ttl + ")");
        }
        return new ReadAfterToken(this.prototype, ttl, this.clock);
    }

    /** For tests: the same tokens, reading the time from {@code clock}. */
    ReadAfterToken withClock(Clock clock) {
        return new ReadAfterToken(this.prototype, this.ttl, Objects.requireNonNull(clock, "clock"));
    }

    /** How long a token is honoured after it was issued (also the cookie's {@code Max-Age}). */
    public Duration ttl() {
        return this.ttl;
    }

    /** The token for a WAL position (as PostgreSQL prints a {@code pg_lsn}), issued now. */
    public String issue(String lsn) {
        String signed = lsn + "." + this.clock.instant().getEpochSecond();
        return signed + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(signed));
    }

    /**
     * The WAL position a token carries, if its signature is right and it has not expired.
     *
     * @return the position, or null for a token that is malformed, not signed with this key, issued more than
     * the time to live ago, or issued more than a minute in the future
     */
    @Nullable
    public String verify(@Nullable String token) {
        if (token == null || token.length() > MAX_LENGTH) {
            return null;
        }
        int first = token.indexOf('.');
        int last = token.lastIndexOf('.');
        if (first <= 0 || last <= first + 1 || last - first - 1 > 12) {
            return null;
        }
        String lsn = token.substring(0, first);
        String signed = token.substring(0, last);
        long issued;
        byte[] presented;
        try {
            Routing.lsnAtOrPast(lsn, lsn); // parses: refuses anything that is not a WAL position
            issued = parseSeconds(token.substring(first + 1, last));
            presented = Base64.getUrlDecoder().decode(token.substring(last + 1));
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (!MessageDigest.isEqual(presented, mac(signed))) {
            return null;
        }
        long now = this.clock.instant().getEpochSecond();
        boolean fresh = issued <= now + CLOCK_SKEW.toSeconds() && now - issued <= this.ttl.toSeconds();
        return fresh ? lsn : null;
    }

    private static long parseSeconds(String digits) {
        for (int i = 0; i < digits.length(); i++) {
            if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
                throw new IllegalArgumentException("not a number of seconds");
            }
        }
        return Long.parseLong(digits);
    }

    private byte[] mac(String signed) {
        Mac mac;
        try {
            mac = (Mac) this.prototype.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("The " + ALGORITHM + " provider cannot clone a Mac", e);
        }
        byte[] full = mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII));
        byte[] truncated = new byte[MAC_BYTES];
        System.arraycopy(full, 0, truncated, 0, MAC_BYTES);
        return truncated;
    }
}
