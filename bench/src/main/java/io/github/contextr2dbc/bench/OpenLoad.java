package io.github.contextr2dbc.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import reactor.core.publisher.Mono;

/**
 * An open-model load: requests (or units of work) started at a fixed rate whatever the earlier ones are doing,
 * each one's latency measured from the moment it was due to start, into an HdrHistogram. Measuring from the
 * intended start is the coordinated-omission correction: when the system stalls, the requests that should have
 * started meanwhile count the whole stall, instead of the load generator waiting politely and hiding it.
 */
final class OpenLoad {

    /** Above this many in flight the system is saturated at this rate: the run stops and says so. */
    static final int MAX_IN_FLIGHT = 20_000;

    /** The outcome of a run: the latency histogram (ns), errors, and whether the rate saturated the system. */
    record Outcome(Histogram histogram, long started, long errors, boolean saturated) {

        /** The latency at {@code percentile} in microseconds. */
        double micros(double percentile) {
            return this.histogram.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    private OpenLoad() {
    }

    /** Starts {@code rate} requests per second for {@code duration}, then waits for the last (at most 60 s). */
    static Outcome run(double rate, Duration duration, Supplier<? extends Mono<?>> request) {
        Recorder recorder = new Recorder(3);
        long interval = (long) (1e9 / rate);
        long count = Math.max(1, duration.toNanos() / interval);
        AtomicLong inFlight = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong remaining = new AtomicLong(count);
        long start = System.nanoTime();
        long started = 0;
        boolean saturated = false;
        for (long i = 0; i < count; i++) {
            long intended = start + i * interval;
            long now;
            while ((now = System.nanoTime()) < intended) {
                LockSupport.parkNanos(intended - now);
            }
            if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
                saturated = true;
                inFlight.decrementAndGet();
                remaining.addAndGet(-(count - i));
                if (remaining.get() == 0) {
                    done.countDown();
                }
                break;
            }
            started++;
            request.get().subscribe(null, error -> {
                errors.incrementAndGet();
                finish(recorder, intended, inFlight, remaining, done);
            }, () -> finish(recorder, intended, inFlight, remaining, done));
        }
        try {
            if (!done.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(remaining.get()
                        + " requests still in flight 60 s after the last start");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new Outcome(recorder.getIntervalHistogram(), started, errors.get(), saturated);
    }

    private static void finish(Recorder recorder, long intended, AtomicLong inFlight, AtomicLong remaining,
            CountDownLatch done) {
        recorder.recordValue(Math.max(0, System.nanoTime() - intended));
        inFlight.decrementAndGet();
        if (remaining.decrementAndGet() == 0) {
            done.countDown();
        }
    }

    /** {@code p50 / p99 / p99.9 / max} in µs, for a report line. */
    static String describe(Outcome outcome) {
        return String.format(java.util.Locale.ROOT, "p50 %.0f µs, p99 %.0f µs, p99.9 %.0f µs, max %.0f µs "
                + "(%d started, "
                + "%d errors%s)", outcome.micros(50), outcome.micros(99), outcome.micros(99.9),
                outcome.histogram().getMaxValue() / 1000.0, outcome.started(), outcome.errors(),
                outcome.saturated() ? ", SATURATED" : "");
    }

    static Duration seconds(double seconds) {
        return Duration.ofNanos((long) (seconds * 1e9));
    }
}
