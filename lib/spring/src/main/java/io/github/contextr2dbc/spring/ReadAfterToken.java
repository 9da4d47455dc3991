package io.github.contextr2dbc.spring;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.github.contextr2dbc.Routing;
import org.jspecify.annotations.Nullable;

/**
 * The read-your-own-writes token: a commit's WAL position and an HMAC-SHA256 of it (truncated to 128 bits),
 * {@code <lsn>.<base64url mac>}, e.g. {@code 0/5450E80.q3fJ0...}. Stateless: any instance with the same key
 * verifies it. A client cannot make one up (it would send every read of its requests to the primary, or make
 * them wait), only replay one it was given, which names a position already written. Thread-safe.
 */
public final class ReadAfterToken {

    private static final String ALGORITHM = "HmacSHA256";

    private static final int MAC_BYTES = 16;

    private final Mac prototype;

    private ReadAfterToken(byte[] key) {
        try {
            this.prototype = Mac.getInstance(ALGORITHM);
            this.prototype.init(new SecretKeySpec(key, ALGORITHM));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("This JVM cannot compute " + ALGORITHM + ", which read-your-own-writes "
                    + "tokens need; disable them with context-r2dbc.routing.token.enabled=false", e);
        }
    }

    /**
     * Tokens signed with {@code key} (every instance of the application must use the same key).
     *
     * @throws IllegalArgumentException if the key is shorter than 16 characters
     */
    public static ReadAfterToken withKey(String key) {
        if (key == null || key.length() < 16) {
            throw new IllegalArgumentException("The read-your-own-writes token key must have at least 16 characters "
                    + "(context-r2dbc.routing.token.key); use a random secret shared by every instance");
        }
        return new ReadAfterToken(key.getBytes(StandardCharsets.UTF_8));
    }

    /** Tokens signed with a random key: they work only on this instance, until it restarts. */
    public static ReadAfterToken withRandomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new ReadAfterToken(key);
    }

    /** The token for a WAL position (as PostgreSQL prints a {@code pg_lsn}). */
    public String issue(String lsn) {
        return lsn + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(lsn));
    }

    /**
     * The WAL position a token carries, if its signature is right.
     *
     * @return the position, or null for a token that is malformed or not signed with this key
     */
    @Nullable
    public String verify(@Nullable String token) {
        if (token == null) {
            return null;
        }
        int dot = token.lastIndexOf('.');
        if (dot <= 0 || dot > 17) {
            return null;
        }
        String lsn = token.substring(0, dot);
        byte[] presented;
        try {
            presented = Base64.getUrlDecoder().decode(token.substring(dot + 1));
            Routing.lsnAtOrPast(lsn, lsn); // parses: refuses anything that is not a WAL position
        } catch (IllegalArgumentException e) {
            return null;
        }
        return MessageDigest.isEqual(presented, mac(lsn)) ? lsn : null;
    }

    private byte[] mac(String lsn) {
        Mac mac;
        try {
            mac = (Mac) this.prototype.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("The " + ALGORITHM + " provider cannot clone a Mac", e);
        }
        byte[] full = mac.doFinal(lsn.getBytes(StandardCharsets.US_ASCII));
        byte[] truncated = new byte[MAC_BYTES];
        System.arraycopy(full, 0, truncated, 0, MAC_BYTES);
        return truncated;
    }
}
