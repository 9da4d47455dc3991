package io.github.contextr2dbc.spring.boot;

import io.github.contextr2dbc.spring.AtomicBlock;
import io.github.contextr2dbc.spring.AtomicBlockAdvisor;
import io.github.contextr2dbc.spring.Databases;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.Role;
import org.springframework.core.type.AnnotationMetadata;

/**
 * {@link AtomicBlock} methods, when databases are configured: registers the {@link AtomicBlockAdvisor}
 * (an infrastructure bean, so that any auto-proxy creator applies it) and, if the context has none yet, an
 * auto-proxy creator, as {@code @EnableTransactionManagement} does; Spring Boot's AOP auto-configuration
 * ({@code spring.aop.*}) decides between class-based proxies (its default) and interface-based ones.
 * No AspectJ is needed.
 */
@AutoConfiguration(after = ContextR2dbcAutoConfiguration.class)
@ConditionalOnBean(Databases.class)
@Import(ContextR2dbcAtomicBlockAutoConfiguration.AutoProxyCreator.class)
public class ContextR2dbcAtomicBlockAutoConfiguration {

    /** Static and lazy about the databases: auto-proxy creators create advisors early, before other beans. */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static AtomicBlockAdvisor contextR2dbcAtomicBlockAdvisor(ObjectProvider<Databases> databases) {
        return new AtomicBlockAdvisor(databases::getObject);
    }

    /** Registers Spring's infrastructure auto-proxy creator unless the context has an auto-proxy creator already. */
    static final class AutoProxyCreator implements ImportBeanDefinitionRegistrar {

        @Override
        public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
            AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
        }
    }
}
