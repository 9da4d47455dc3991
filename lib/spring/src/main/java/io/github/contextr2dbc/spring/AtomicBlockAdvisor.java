package io.github.contextr2dbc.spring;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import io.github.contextr2dbc.Atomic;
import io.github.contextr2dbc.Database;
import io.r2dbc.spi.IsolationLevel;
import org.aopalliance.aop.Advice;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.springframework.aop.Pointcut;
import org.springframework.aop.PointcutAdvisor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.core.MethodClassKey;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.util.ClassUtils;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The Spring AOP advisor that makes {@link AtomicBlock} methods atomic blocks: its pointcut matches the
 * annotated methods, its interceptor wraps what they return with {@link Atomic#wrap(Mono)} or
 * {@link Atomic#wrap(Flux)}.
 *
 * <p>The Spring Boot auto-configuration registers it, with an auto-proxy creator, when databases are
 * configured. Elsewhere, declare it as a {@code static @Bean} with {@code @Role(BeanDefinition.ROLE_INFRASTRUCTURE)}
 * in a context that has an auto-proxy creator (e.g. {@code @EnableAspectJAutoProxy}, or Spring Boot's AOP
 * auto-configuration).
 *
 * <p>Checks when a bean is proxied: an annotated method that does not return {@code Mono} or
 * {@code Flux}, or is private or static, fails the bean's creation with an {@link IllegalStateException}
 * naming the method. Once every singleton exists, the {@link AtomicBlock#using()} names seen so far are
 * checked against the {@link Databases}.
 *
 * <p>Thread-safe.
 */
public final class AtomicBlockAdvisor implements PointcutAdvisor, SmartInitializingSingleton {

    private final LazyDatabases databases;

    private final Pointcut pointcut = new BlockPointcut();

    private final MethodInterceptor interceptor = this::invoke;

    /** Per bean class: whether it has an annotated method (or is annotated); filled as beans are proxied. */
    private final ConcurrentMap<Class<?>, Boolean> scanned = new ConcurrentHashMap<>();

    private final ConcurrentMap<MethodClassKey, Optional<Block>> blocks = new ConcurrentHashMap<>();

    /** {@code using} names to check once the databases exist: where they appear, and the name. */
    private final Map<String, String> pendingUsing = new ConcurrentHashMap<>();

    /**
     * An advisor taking the databases from {@code databases} when first needed (at the end of the startup,
     * or at the first call), so that creating the advisor creates no database.
     */
    public AtomicBlockAdvisor(Supplier<Databases> databases) {
        this.databases = new LazyDatabases(databases);
    }

    @Override
    public Pointcut getPointcut() {
        return this.pointcut;
    }

    @Override
    public Advice getAdvice() {
        return this.interceptor;
    }

    /**
     * Checks the {@link AtomicBlock#using()} names of the beans proxied so far.
     *
     * @throws IllegalStateException naming the method and the configured databases if one names no database
     */
    @Override
    public void afterSingletonsInstantiated() {
        Databases all = databases();
        this.pendingUsing.forEach((where, name) -> checkUsing(all, where, name));
        this.pendingUsing.clear();
    }

    @Override
    public String toString() {
        return "AtomicBlockAdvisor";
    }

    // ---- the pointcut ----

    /** Whether {@code type} has anything annotated; fails on misplaced annotations. */
    private boolean scan(Class<?> type) {
        Class<?> userClass = ClassUtils.getUserClass(type);
        if (!AnnotationUtils.isCandidateClass(userClass, AtomicBlock.class)) {
            return false;
        }
        return this.scanned.computeIfAbsent(userClass, this::check);
    }

    private boolean check(Class<?> type) {
        Map<Method, AtomicBlock> annotated = MethodIntrospector.selectMethods(type,
                (MethodIntrospector.MetadataLookup<AtomicBlock>) method ->
                        AnnotatedElementUtils.findMergedAnnotation(method, AtomicBlock.class));
        annotated.forEach((method, annotation) -> {
            String problem = problem(method);
            if (problem != null) {
                throw new IllegalStateException(problem);
            }
            noteUsing(describe(method), annotation.using());
        });
        AtomicBlock onClass = AnnotatedElementUtils.findMergedAnnotation(type, AtomicBlock.class);
        if (onClass != null) {
            noteUsing("class " + type.getName(), onClass.using());
        }
        return onClass != null || !annotated.isEmpty();
    }

    /** The block of {@code method} called on a {@code targetClass}, if it is one. */
    @Nullable
    private Block find(Method method, @Nullable Class<?> targetClass) {
        return this.blocks.computeIfAbsent(new MethodClassKey(method, targetClass),
                key -> Optional.ofNullable(lookUp(method, targetClass))).orElse(null);
    }

    @Nullable
    private static Block lookUp(Method method, @Nullable Class<?> targetClass) {
        Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
        AtomicBlock annotation = AnnotatedElementUtils.findMergedAnnotation(specific, AtomicBlock.class);
        if (annotation == null) {
            int modifiers = specific.getModifiers();
            if (!Modifier.isPublic(modifiers) || Modifier.isStatic(modifiers) || !isReactive(specific.getReturnType())
                    || specific.getDeclaringClass() == Object.class) {
                return null;
            }
            Class<?> type = targetClass != null ? ClassUtils.getUserClass(targetClass) : specific.getDeclaringClass();
            annotation = AnnotatedElementUtils.findMergedAnnotation(type, AtomicBlock.class);
            if (annotation == null) {
                return null;
            }
        }
        return new Block(describe(specific), annotation, specific.getReturnType() == Flux.class, problem(specific));
    }

    private static boolean isReactive(Class<?> type) {
        return type == Mono.class || type == Flux.class;
    }

    /** What is wrong with an annotated method, with the remedy; null if nothing. */
    @Nullable
    private static String problem(Method method) {
        int modifiers = method.getModifiers();
        if (Modifier.isPrivate(modifiers) || Modifier.isStatic(modifiers)) {
            return "@AtomicBlock on " + describe(method) + ": a "
                    + (Modifier.isPrivate(modifiers) ? "private" : "static")
                    + " method is never called through the bean's proxy, so it would never be an atomic block. Make "
                    + "it a public instance method called from another bean, or wrap its publisher with "
                    + "Atomic.atomic(db).wrap(...)";
        }
        if (!isReactive(method.getReturnType())) {
            return "@AtomicBlock on " + describe(method) + ": the method returns " + method.getReturnType().getName()
                    + ", but an atomic block is the subscription of a Mono or Flux. Declare the method as returning "
                    + "Mono or Flux, or remove the annotation";
        }
        return null;
    }

    private void noteUsing(String where, String name) {
        if (name.isEmpty()) {
            return;
        }
        Databases all = this.databases.ifKnown();
        if (all != null) {
            checkUsing(all, where, name);
        } else {
            this.pendingUsing.put(where, name);
        }
    }

    private static Database checkUsing(Databases all, String where, String name) {
        try {
            return all.get(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("@AtomicBlock(using = \"" + name + "\") on " + where + ": "
                    + e.getMessage(), e);
        }
    }

    private Databases databases() {
        return this.databases.get();
    }

    private static String describe(Method method) {
        return method.getDeclaringClass().getName() + "." + method.getName() + Arrays.stream(method.getParameterTypes())
                .map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")"));
    }

    // ---- the interceptor ----

    /**
     * The advised call: the method's {@code Mono} or {@code Flux} as an atomic block; the method itself runs
     * when that is subscribed, once per subscription, inside the block.
     */
    @Nullable
    private Object invoke(MethodInvocation invocation) throws Throwable {
        Object target = invocation.getThis();
        Block block = find(invocation.getMethod(), target == null ? null : AopUtils.getTargetClass(target));
        if (block == null) {
            return invocation.proceed();
        }
        if (block.problem() != null) {
            throw new IllegalStateException(block.problem());
        }
        if (block.flux()) {
            return Flux.defer(() -> atomic(block).wrap(Flux.defer(() -> Flux.from(call(invocation, block)))));
        }
        return Mono.defer(() -> atomic(block).wrap(Mono.defer(() -> Mono.from(call(invocation, block)))));
    }

    private Atomic atomic(Block block) {
        AtomicBlock annotation = block.annotation();
        Databases all = databases();
        Database database = annotation.using().isEmpty() ? all.defaultDatabase()
                : checkUsing(all, block.method(), annotation.using());
        Atomic atomic = Atomic.atomic(database)
                .savepoint(annotation.savepoint())
                .durable(annotation.durable())
                .existing(annotation.existing());
        IsolationLevel isolation = annotation.isolation().level();
        if (isolation != null) {
            atomic = atomic.isolationLevel(isolation);
        }
        if (annotation.readOnly()) {
            atomic = atomic.readOnly(true);
        }
        return atomic;
    }

    private static Publisher<?> call(MethodInvocation invocation, Block block) {
        return ReactiveInvocation.proceed(invocation, block.method(), block.flux());
    }

    /**
     * An annotated method: where it is, its annotation (on it or its class), what it returns, what is wrong with it.
     */
    private record Block(String method, AtomicBlock annotation, boolean flux, @Nullable String problem) {
    }

    private final class BlockPointcut extends StaticMethodMatcherPointcut {

        BlockPointcut() {
            setClassFilter(AtomicBlockAdvisor.this::scan);
        }

        @Override
        public boolean matches(Method method, Class<?> targetClass) {
            return find(method, targetClass) != null;
        }
    }
}
