package io.github.contextr2dbc.launcher;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Tells BlockHound about the few places in third-party libraries that block briefly by design, so that
 * it stays quiet about them and loud about everything else. Found by BlockHound itself in this
 * project's test runs; each entry names why it is harmless.
 *
 * <p>Loaded by BlockHound through {@link java.util.ServiceLoader} when it is installed (the test JVMs of
 * the lib modules); without BlockHound on the class path it is never loaded.
 */
public final class ThirdPartyBlockingAllowances implements BlockHoundIntegration {

    /** Created by {@link java.util.ServiceLoader}. */
    public ThirdPartyBlockingAllowances() {
    }

    @Override
    public void applyTo(BlockHound.Builder builder) {
        // Netty 4.2's adaptive buffer allocator guards its magazines with a StampedLock, held for a few
        // instructions while buffers are handed out or returned
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup",
                "tryExpandMagazines");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "allocate");
        // SCRAM authentication (password logins) reads its nonce from SecureRandom, which may read
        // /dev/urandom once; it runs once per new physical connection
        builder.allowBlockingCallsInside("com.ongres.scram.common.ScramFunctions", "nonce");
    }
}
