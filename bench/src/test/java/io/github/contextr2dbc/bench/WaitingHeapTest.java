package io.github.contextr2dbc.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a unit of work keeps while it waits for a connection, on the gated stub (no database, a second or two):
 * bytes, not a thread. A generous bound (the measure is about 1.2 KB for context-r2dbc's point read, 0.55 KB for
 * the hand-written pipelined code, both including the pool's own waiting borrower, its timer and the
 * {@code flatMap} slot): it catches a unit of work that starts keeping its whole statement machinery, or a
 * buffer, while it waits, not a few bytes.
 */
class WaitingHeapTest {

    @Test
    void aUnitOfWorkWaitingForAConnectionRetainsAboutAKilobyte() {
        double context = WaitingHeap.measure(Variant.Kind.CONTEXT, 4000);
        double reference = WaitingHeap.measure(Variant.Kind.RAW_PIPELINED, 4000);
        System.out.printf("retained per waiting point read: context %.0f B, raw-pipelined %.0f B%n", context,
                reference);
        assertThat(reference).isBetween(100.0, 2048.0);
        assertThat(context).isBetween(100.0, 2048.0);
    }
}
