/**
 * The core of context-r2dbc: {@link io.github.contextr2dbc.Database} handles, units of work carried by
 * the Reactor Context, and lazily opened sessions.
 *
 * <p>A {@link io.github.contextr2dbc.UnitOfWork} lives in the Reactor Context of a request or a job and
 * holds at most one {@link io.github.contextr2dbc.DbSession} per database. A session acquires its
 * connection and opens its transaction only when its first statement runs, serialises its statements,
 * and is finished (committed or rolled back, and its connection released) by whoever opened the unit of
 * work. {@link io.github.contextr2dbc.Routing} sends routed reads to replicas (databases built with
 * {@code replicaOf}) and writes to primaries, with read-your-own-writes;
 * {@link io.github.contextr2dbc.PrimaryResolver} follows the primary across a failover. Every
 * publisher-returning method documents what happens on complete, error and cancel;
 * cancelling never leaves a transaction open or a connection acquired. Internals (the serial queue of a
 * session, pool generations, the session-aware connection) are package-private. This module depends
 * on Reactor, the R2DBC SPI and r2dbc-pool only.
 *
 * <h2>Glossary</h2>
 *
 * One word per idea; every name in this package follows it.
 * <dl>
 * <dt>acquire</dt><dd>get a connection from a pool ({@code DatabaseRuntime.acquire}, {@code PoolGeneration.acquire},
 * {@code SessionAcquisition}, {@code AcquireTimeout}).</dd>
 * <dt>release</dt><dd>give a connection back to its pool ({@code Lease.release}, {@code releaseInTurn}); never
 * used for anything else.</dd>
 * <dt>lease</dt><dd>an acquired connection together with the pool generation it is released to.</dd>
 * <dt>finish</dt><dd>commit or roll back a session's transaction and release its connection
 * ({@code ContextSession.finish(Finish)}); a unit of work's {@code commit}/{@code rollback} finish its sessions.</dd>
 * <dt>close / end</dt><dd>a unit of work (or an {@code inSession} run) is over: its sessions are finished and
 * refuse to acquire again ({@code UnitOfWork.close}, {@link io.github.contextr2dbc.UnitOfWork#isEnded()},
 * {@code Finish.*_AND_END}). {@code Database.close} closes the handle (no new acquisition). The
 * <em>end</em> of a unit of work, decided once by whoever opened it, is a
 * {@link io.github.contextr2dbc.UnitOfWorkEnd}: commit then close, or close.</dd>
 * <dt>settings</dt><dd>what a {@link io.github.contextr2dbc.DatabaseBuilder} fixes when it builds a
 * {@code Database} ({@code DatabaseSettings}, immutable); the handle's runtime (pools, counters, host) is
 * {@code DatabaseRuntime}.</dd>
 * <dt>control statement</dt><dd>{@code BEGIN}, {@code SAVEPOINT}, {@code RELEASE SAVEPOINT},
 * {@code ROLLBACK TO SAVEPOINT}, {@code ROLLBACK} sent as SQL by the session itself ({@code ControlStatement}),
 * never a user's statement.</dd>
 * <dt>retire</dt><dd>a pool generation serves no new acquisition; its pool is disposed when its last
 * connection is released ({@code PoolGeneration.retire}).</dd>
 * <dt>enter / leave</dt><dd>an atomic block is pushed on / popped off a session's block stack; a pool
 * generation counts a user in / out.</dd>
 * <dt>turn</dt><dd>the time an operation of a session's {@code SerialQueue} runs alone; a <em>hold</em> keeps
 * a turn beyond its operation's end until it is <em>dropped</em>; an operation <em>gives up</em> its turn when
 * it terminates or is cancelled.</dd>
 * <dt>{@code *InTurn}</dt><dd>the only method suffix with a meaning: a step that runs inside the current turn
 * of the session's queue (its caller is a task of that queue; it never queues itself).</dd>
 * <dt>{@code *Queued}</dt><dd>queues its work as an operation of the session's queue without a guard of its
 * own against cancel ({@code finishQueued}): for a caller that is uncancellable itself.</dd>
 * <dt>{@code *Guarded}</dt><dd>wrapped in {@code Uncancellable}: once subscribed, it runs to its end.</dd>
 * </dl>
 *
 * <h2>Custom operators</h2>
 *
 * The machinery on every unit of work's path is hand-written rather than composed from Reactor operators:
 * each hand-written operator replaced a chain whose cost was measured on the stub benchmark
 * ({@code ContextMachineryBenchmark}, see {@code bench/README.md}); together they took the point-read unit of
 * work from 14 696 to 5 384 B and from 31 to 9 µs on that stub. Each documents its states in its Javadoc and
 * implements {@link reactor.core.Scannable} (or inherits it from {@link reactor.core.publisher.Operators}'s
 * base classes), so Reactor's debugging tools see through it. They share these rules:
 * <ul>
 * <li><b>Undeliverable errors</b> (the subscriber has cancelled) go to
 * {@link reactor.core.publisher.Operators#onErrorDropped} (through {@code Undeliverable}); values to
 * {@link reactor.core.publisher.Operators#onDiscard}. Nothing is dropped silently.</li>
 * <li><b>Finishing work is never cancelled</b>: a subscriber's cancel only detaches it.</li>
 * <li><b>A decision is taken once</b>, by compare-and-set on a field updater (stage, phase, exit claim),
 * never by a volatile check-then-set.</li>
 * </ul>
 * <table>
 * <caption>The hand-written operators</caption>
 * <tr><th>operator</th><th>why (figure)</th><th>invariants</th></tr>
 * <tr><td>{@code Uncancellable}</td><td>one relay subscriber instead of a serialising sink, a lambda subscriber,
 * an {@code AtomicBoolean} and a {@code contextWrite} per finishing step (first of the steps that took the
 * point read 14 696 → 10 931 B)</td><td>the work's subscription is requested unbounded and never kept, so
 * never cancelled; the outcome is relayed once ({@code Operators.MonoSubscriber})</td></tr>
 * <tr><td>{@code SerialQueue} / {@code SerialTask}</td><td>one object per operation, subscriber of the work
 * and subscription of the caller; lock-free, field updaters instead of {@code AtomicInteger}s (the next
 * steps, to 7 921 B); a session is its own queue (it extends {@code SerialQueue}: −16 B per session)</td><td>one
 * turn at a time ({@code wip}); the turn ends just before the terminal signal
 * goes on, the next task starts after it; starting never nests (drain loop); a hold keeps the turn until
 * dropped, exactly once</td></tr>
 * <tr><td>{@code SessionAcquisition}</td><td>the first statement acquires in its own turn with one subscriber
 * that runs the {@code beforeSession} hook, enters the pool generation, makes the connection a counted lease,
 * stores it, drops the hold and then relays the statement run on it (it was, with {@code SessionLease}, four
 * objects kept while a unit of work waits for its connection: {@code flatMapMany} + its lambda, the relay and
 * the lease subscriber; retained per waiting unit of work 1 086 → 990 B in two steps, see
 * {@code bench/README.md})</td><td>the hook and the acquisition are never cancelled; the generation is entered
 * on subscription and left before an acquisition error goes on; the lease is stored before the hold is
 * dropped, so the next operation always sees it; the hold is dropped exactly once; the statement is made only
 * if not cancelled by then, and requests made before it are kept for it</td></tr>
 * <tr><td>{@code PipelinedAnswer}</td><td>{@code BEGIN} and {@code SAVEPOINT} pipelined ahead of the
 * statement: two round trips instead of three (1.11–1.18× raw with one unit of work at a time)</td><td>never
 * cancelled; a failure is noted on the session (the transaction is aborted) and {@code BEGIN}'s answer
 * completes {@code begun} whatever it was</td></tr>
 * <tr><td>{@code AcquireTimeout}</td><td>r2dbc-pool's {@code maxAcquireTime} schedules a timer per acquisition:
 * 1.3 KB and ~4 µs each; only an acquisition that waits is timed here</td><td>the phase is decided once
 * (connection, timeout or cancel); a connection arriving after the timeout or a cancel is released at
 * once</td></tr>
 * <tr><td>{@code UnitOfWorkEnd}</td><td>the one end of a unit of work for whoever opened it:
 * {@code inNewUnitOfWork(Mono)}, {@code inNewUnitOfWork(Flux)} and the Spring WebFilter (before, three
 * implementations of one contract: a subscriber, {@code usingWhen}, a sink); one object that is also
 * subscriber of its steps, and skips a step with nothing to do (no {@code Mono.defer} per commit and
 * close)</td><td>decided once ({@code state}, compare-and-set: commit then close, or close); runs to its
 * end whatever its callers do; the listener is told before the callers; each caller is told once (a
 * lock-free list of waiters, swapped for a marker when over); an error no caller took goes to
 * {@code onErrorDropped}</td></tr>
 * <tr><td>{@code NewUnitOfWork}</td><td>{@code inNewUnitOfWork(Mono)} and {@code inNewUnitOfWork(Flux)} are
 * one subscriber each instead of {@code usingWhen} and five operators (empty unit of work 1 124 ns / 760 B
 * at the first cut, ~0.2 µs / 296 B before {@code UnitOfWorkEnd}, see {@code bench/README.md} for
 * now)</td><td>the work's outcome and the caller's cancel ask the {@code UnitOfWorkEnd}, which decides once;
 * the terminal signal goes on only once the unit of work is closed; a {@code Flux}'s demand asked before
 * the work's subscription is kept and passed on exactly once</td></tr>
 * <tr><td>{@code AtomicRun} (its two steps in {@code AtomicSteps})</td><td>an atomic block enters with one queue
 * operation and, without before-commit hooks, leaves with one; {@code Atomic.wrap} returns its
 * {@code InMono}/{@code InFlux} directly</td><td>entering and leaving are one uncancellable pair; the exit is
 * claimed once ({@code AtomicFrame.claimExit}); a block cancelled while entering is left in the entering turn</td></tr>
 * <tr><td>{@code OutcomeSubscriber}</td><td>the one shape of the small subscribers that run a step to its
 * end</td><td>requests unbounded, never cancels, ignores values</td></tr>
 * </table>
 */
@NullMarked
package io.github.contextr2dbc;

import org.jspecify.annotations.NullMarked;
