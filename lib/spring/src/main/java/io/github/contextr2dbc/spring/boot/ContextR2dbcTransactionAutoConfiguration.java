package io.github.contextr2dbc.spring.boot;

import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.TransactionalAdvisor;
import io.github.contextr2dbc.spring.UnitOfWorkTransactionalOperator;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Role;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;

/**
 * Spring's own transactions inside units of work, when spring-tx is on the class path and databases are
 * configured: the {@code <name>TransactionManager} beans ({@code UnitOfWorkTransactionManager}, registered
 * with the databases, so Spring Boot's {@code R2dbcTransactionManager} backs off), a
 * {@code transactionalOperator} bean for the default database ({@link UnitOfWorkTransactionalOperator}, in
 * place of Spring Boot's) and the {@link TransactionalAdvisor} that gives {@code @Transactional} reactive
 * methods the same propagation rules, with an auto-proxy creator if the context has none.
 */
@AutoConfiguration(after = ContextR2dbcAutoConfiguration.class,
        beforeName = "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration")
@ConditionalOnClass({ReactiveTransactionManager.class, TransactionalOperator.class})
@ConditionalOnBean(Databases.class)
@Import(ContextR2dbcAtomicBlockAutoConfiguration.AutoProxyCreator.class)
public class ContextR2dbcTransactionAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(TransactionalOperator.class)
    TransactionalOperator transactionalOperator(Databases databases) {
        return UnitOfWorkTransactionalOperator.create(databases.defaultDatabase());
    }

    /** Static and lazy about the databases: auto-proxy creators create advisors early, before other beans. */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static TransactionalAdvisor contextR2dbcTransactionalAdvisor(ObjectProvider<Databases> databases) {
        return new TransactionalAdvisor(databases::getObject);
    }
}
