package io.github.contextr2dbc.spring;

import java.lang.reflect.Method;
import java.util.function.Supplier;

import io.github.contextr2dbc.Database;
import org.aopalliance.aop.Advice;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.Pointcut;
import org.springframework.aop.PointcutAdvisor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.core.Ordered;
import org.springframework.transaction.annotation.AnnotationTransactionAttributeSource;
import org.springframework.transaction.interceptor.DelegatingTransactionAttribute;
import org.springframework.transaction.interceptor.TransactionAttribute;
import org.springframework.transaction.interceptor.TransactionAttributeSource;
import org.springframework.util.ClassUtils;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Makes Spring's {@code @Transactional} on reactive methods ({@code Mono} / {@code Flux}) take part in
 * units of work, with the propagation table of {@link UnitOfWorkTransactionalOperator}: REQUIRED joins the
 * request's unit of work instead of committing it early, REQUIRES_NEW runs in a unit of work of its own,
 * NESTED is an atomic block, and so on.
 *
 * <p>It runs outside Spring's own transaction interceptor (its order is just above
 * {@link Ordered#LOWEST_PRECEDENCE}, the order of {@code @EnableTransactionManagement}'s advisor, and of
 * {@link AtomicBlockAdvisor}): it applies the definition around the method, and marks the Context so that
 * Spring's interceptor inside, asking the {@link UnitOfWorkTransactionManager}, only participates. So on one
 * method {@code @Transactional} is applied first (outermost) and {@code @AtomicBlock} inside it.
 *
 * <p>Which database: {@code @Transactional} without a qualifier is on the default database;
 * {@code @Transactional("<name>TransactionManager")} on database {@code <name>}. A qualifier naming another
 * transaction manager is left to Spring alone. Methods that are not reactive are left to Spring too.
 *
 * <p>The Spring Boot auto-configuration registers it when Spring's transaction support is on the class
 * path and databases are configured. Thread-safe.
 */
public final class TransactionalAdvisor implements PointcutAdvisor, Ordered {

    /** The order: outside Spring's transaction advisor and {@link AtomicBlockAdvisor}. */
    public static final int ORDER = Ordered.LOWEST_PRECEDENCE - 1;

    private static final String QUALIFIER_SUFFIX = "TransactionManager";

    private final LazyDatabases databases;

    private final TransactionAttributeSource attributes = new AnnotationTransactionAttributeSource();

    private final Pointcut pointcut = new TransactionalPointcut();

    private final MethodInterceptor interceptor = this::invoke;

    /** An advisor taking the databases from {@code databases} at the first call. */
    public TransactionalAdvisor(Supplier<Databases> databases) {
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

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public String toString() {
        return "TransactionalAdvisor";
    }

    @Nullable
    private Object invoke(MethodInvocation invocation) throws Throwable {
        Object target = invocation.getThis();
        Class<?> targetClass = target == null ? null : AopUtils.getTargetClass(target);
        Method method = invocation.getMethod();
        TransactionAttribute attribute = this.attributes.getTransactionAttribute(method, targetClass);
        Database database = attribute == null ? null : databaseFor(attribute.getQualifier());
        if (attribute == null || database == null) {
            return invocation.proceed();
        }
        String name = ClassUtils.getQualifiedMethodName(method, targetClass);
        TransactionAttribute named = new DelegatingTransactionAttribute(attribute) {
            private static final long serialVersionUID = 1L;

            @Override
            public String getName() {
                return "@Transactional " + name;
            }
        };
        if (method.getReturnType() == Flux.class) {
            return TransactionPropagation.apply(database, named, named::rollbackOn,
                    Flux.defer(() -> Flux.from(ReactiveInvocation.proceed(invocation, name, true))), true);
        }
        return TransactionPropagation.apply(database, named, named::rollbackOn,
                Flux.defer(() -> Mono.from(ReactiveInvocation.proceed(invocation, name, false))), true).singleOrEmpty();
    }

    /** The database of a {@code @Transactional} qualifier, or null if the qualifier names no database. */
    @Nullable
    private Database databaseFor(@Nullable String qualifier) {
        Databases all = databases();
        if (qualifier == null || qualifier.isEmpty()) {
            return all.defaultDatabase();
        }
        if (!qualifier.endsWith(QUALIFIER_SUFFIX)) {
            return null;
        }
        String name = qualifier.substring(0, qualifier.length() - QUALIFIER_SUFFIX.length());
        return all.all().stream().filter(database -> database.name().equals(name)).findFirst().orElse(null);
    }

    private Databases databases() {
        return this.databases.get();
    }

    private static boolean isReactive(Class<?> type) {
        return type == Mono.class || type == Flux.class;
    }

    private final class TransactionalPointcut extends StaticMethodMatcherPointcut {

        TransactionalPointcut() {
            setClassFilter(TransactionalAdvisor.this.attributes::isCandidateClass);
        }

        @Override
        public boolean matches(Method method, Class<?> targetClass) {
            if (!isReactive(method.getReturnType())) {
                return false;
            }
            TransactionAttribute attribute = TransactionalAdvisor.this.attributes.getTransactionAttribute(method,
                    targetClass);
            if (attribute == null) {
                return false;
            }
            String qualifier = attribute.getQualifier();
            return qualifier == null || qualifier.isEmpty() || qualifier.endsWith(QUALIFIER_SUFFIX);
        }
    }
}
