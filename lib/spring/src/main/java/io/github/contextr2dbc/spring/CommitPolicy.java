package io.github.contextr2dbc.spring;

import java.util.Arrays;
import java.util.BitSet;

import org.springframework.http.HttpStatusCode;

/**
 * Decides, from the response status, whether a request's unit of work is committed or rolled back.
 *
 * <p>The policy is asked only when nothing failed: a handler error or a cancelled request always rolls
 * back. The {@linkplain #standard() standard} policy commits below 400 and rolls back from 400 on;
 * {@link #builder()} changes the rule for redirects and for single statuses.
 */
@FunctionalInterface
public interface CommitPolicy {

    /**
     * Whether to commit a unit of work whose request ends with {@code status}.
     *
     * @param status the response status ({@code 200 OK} when the handler set none)
     * @return {@code true} to commit, {@code false} to roll back
     */
    boolean commits(HttpStatusCode status);

    /** Commits below 400 (1xx, 2xx, 3xx), rolls back from 400 on. */
    static CommitPolicy standard() {
        return builder().build();
    }

    /** A builder starting from the {@linkplain #standard() standard} rule. */
    static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link CommitPolicy}; every setter names its default. */
    final class Builder {

        private boolean commitRedirects = true;

        private final BitSet commitStatuses = new BitSet(600);

        private final BitSet rollbackStatuses = new BitSet(600);

        private Builder() {
        }

        /** Whether 3xx responses commit. Default: {@code true}. */
        public Builder commitRedirects(boolean commitRedirects) {
            this.commitRedirects = commitRedirects;
            return this;
        }

        /**
         * Statuses that commit although the rule would roll back (e.g. {@code 404} for an idempotent
         * "delete if present" that records an audit row). Default: none.
         *
         * @throws IllegalArgumentException for a status outside 100..599, or one also given to
         * {@link #rollbackStatuses(int...)}
         */
        public Builder commitStatuses(int... statuses) {
            set(this.commitStatuses, this.rollbackStatuses, statuses, "commitStatuses", "rollbackStatuses");
            return this;
        }

        /**
         * Statuses that roll back although the rule would commit (e.g. {@code 202} when the work is
         * handed to a job instead). Default: none.
         *
         * @throws IllegalArgumentException for a status outside 100..599, or one also given to
         * {@link #commitStatuses(int...)}
         */
        public Builder rollbackStatuses(int... statuses) {
            set(this.rollbackStatuses, this.commitStatuses, statuses, "rollbackStatuses", "commitStatuses");
            return this;
        }

        /** The policy (immutable; later changes to this builder do not affect it). */
        public CommitPolicy build() {
            boolean redirects = this.commitRedirects;
            BitSet commit = (BitSet) this.commitStatuses.clone();
            BitSet rollback = (BitSet) this.rollbackStatuses.clone();
            return new CommitPolicy() {
                @Override
                public boolean commits(HttpStatusCode status) {
                    int value = status.value();
                    if (value >= 0 && value < 600) {
                        if (commit.get(value)) {
                            return true;
                        }
                        if (rollback.get(value)) {
                            return false;
                        }
                    }
                    if (status.is3xxRedirection()) {
                        return redirects;
                    }
                    return value < 400;
                }

                @Override
                public String toString() {
                    return "CommitPolicy{commit below 400" + (redirects ? "" : " except 3xx")
                            + ", commit also " + commit
                            + ", roll back also " + rollback + "}";
                }
            };
        }

        private static void set(BitSet target, BitSet other, int[] statuses, String name, String otherName) {
            for (int status : statuses) {
                if (status < 100 || status > 599) {
                    throw new IllegalArgumentException(name + " takes HTTP statuses from 100 to 599 (got " + status
                            + " in " + Arrays.toString(statuses) + ")");
                }
                if (other.get(status)) {
                    throw new IllegalArgumentException("Status " + status + " is in both " + name + " and " + otherName
                            + ": keep it in one of them");
                }
                target.set(status);
            }
        }
    }
}
