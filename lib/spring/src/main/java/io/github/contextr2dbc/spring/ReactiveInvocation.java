package io.github.contextr2dbc.spring;

import org.aopalliance.intercept.MethodInvocation;
import org.reactivestreams.Publisher;
import org.springframework.aop.ProxyMethodInvocation;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;

/** Runs an advised reactive method (the rest of the interceptor chain) for one subscription. */
final class ReactiveInvocation {

    private ReactiveInvocation() {
    }

    /**
     * Proceeds on a copy of {@code invocation} (a {@link MethodInvocation} proceeds only once, and each
     * subscription runs the method again); a thrown error or a null result becomes the publisher's error.
     *
     * @param method the method, for the message when it returns null
     * @param flux whether the method returns a {@code Flux} (else a {@code Mono})
     */
    static Publisher<?> proceed(MethodInvocation invocation, String method, boolean flux) {
        MethodInvocation copy = invocation instanceof ProxyMethodInvocation proxied
                ? proxied.invocableClone() : invocation;
        Object result;
        try {
            result = copy.proceed();
        } catch (Throwable error) {
            Exceptions.throwIfJvmFatal(error);
            return Mono.error(error);
        }
        if (result == null) {
            return Mono.error(new IllegalStateException(method + " returned null instead of a "
                    + (flux ? "Flux" : "Mono") + ": return Mono.empty() or Flux.empty() for no value"));
        }
        return (Publisher<?>) result;
    }
}
