package io.github.contextr2dbc.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.contextr2dbc.spring.ReadAfterToken;
import org.jspecify.annotations.Nullable;
import org.springframework.util.unit.DataSize;

/** Routing of reads to replicas, their background checks, and the read-your-own-writes token. */
public class ContextR2dbcRoutingProperties {

    /** HTTP methods whose routed reads may go to replicas; other methods read from the primary. */
    private List<String> replicaMethods = new ArrayList<>(List.of("GET", "HEAD"));

    /** A replica lagging by more WAL than this leaves the rotation. */
    private DataSize maxLag = DataSize.ofMegabytes(16);

    /** How often replicas are checked (lag, errors), in the background. */
    private Duration checkInterval = Duration.ofSeconds(1);

    /** The longest one check query may take before its replica counts as failing. */
    private Duration checkTimeout = Duration.ofSeconds(2);

    /** The longest a request with a token waits for a replica to replay it before reading from the primary. */
    private Duration replayWait = Duration.ofMillis(50);

    /** The read-your-own-writes token. */
    private final Token token = new Token();

    public List<String> getReplicaMethods() {
        return this.replicaMethods;
    }

    public void setReplicaMethods(List<String> replicaMethods) {
        this.replicaMethods = replicaMethods;
    }

    public DataSize getMaxLag() {
        return this.maxLag;
    }

    public void setMaxLag(DataSize maxLag) {
        this.maxLag = maxLag;
    }

    public Duration getCheckInterval() {
        return this.checkInterval;
    }

    public void setCheckInterval(Duration checkInterval) {
        this.checkInterval = checkInterval;
    }

    public Duration getCheckTimeout() {
        return this.checkTimeout;
    }

    public void setCheckTimeout(Duration checkTimeout) {
        this.checkTimeout = checkTimeout;
    }

    public Duration getReplayWait() {
        return this.replayWait;
    }

    public void setReplayWait(Duration replayWait) {
        this.replayWait = replayWait;
    }

    public Token getToken() {
        return this.token;
    }

    /** The read-your-own-writes token: the commit's WAL position, signed. */
    public static class Token {

        /** Whether the token is sent and honoured. */
        private boolean enabled = true;

        /** The response header carrying a new token, and the request header presenting one. */
        private String header = "Context-R2dbc-Read-After";

        /** A cookie carrying the token too (for browsers); none when unset. */
        @Nullable
        private String cookie;

        /**
         * The HMAC-SHA256 key signing tokens; every instance of the application must have the same one. When
         * unset, a random key is made at startup (tokens then work only on the instance that issued them).
         */
        @Nullable
        private String key;

        /**
         * How long a token is honoured after it was issued (also the cookie's Max-Age); an older one is ignored.
         */
        private Duration ttl = ReadAfterToken.DEFAULT_TTL;

        public Duration getTtl() {
            return this.ttl;
        }

        public void setTtl(Duration ttl) {
            this.ttl = ttl;
        }

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getHeader() {
            return this.header;
        }

        public void setHeader(String header) {
            this.header = header;
        }

        @Nullable
        public String getCookie() {
            return this.cookie;
        }

        public void setCookie(@Nullable String cookie) {
            this.cookie = cookie;
        }

        @Nullable
        public String getKey() {
            return this.key;
        }

        public void setKey(@Nullable String key) {
            this.key = key;
        }
    }
}
