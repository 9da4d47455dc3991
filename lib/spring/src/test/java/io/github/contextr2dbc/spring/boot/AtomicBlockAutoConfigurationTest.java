package io.github.contextr2dbc.spring.boot;

import java.util.List;

import io.github.contextr2dbc.spring.AtomicBlock;
import org.junit.jupiter.api.Test;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The advisor's auto-configuration and its startup checks, without Spring Boot's AOP auto-configuration
 * (it registers its own auto-proxy creator) and without connecting: nothing here runs a statement.
 */
class AtomicBlockAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ContextR2dbcAutoConfiguration.class,
                    ContextR2dbcAtomicBlockAutoConfiguration.class))
            .withPropertyValues("context-r2dbc.databases.main.url=r2dbc:postgresql://app@127.0.0.1:1/none");

    static class Reactive {

        @AtomicBlock
        public Mono<Integer> one() {
            return Mono.just(1);
        }
    }

    static class Blocking {

        @AtomicBlock
        public List<String> names() {
            return List.of();
        }
    }

    static class UnknownDatabase {

        @AtomicBlock(using = "nope")
        public Mono<Void> write() {
            return Mono.empty();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ReactiveConfiguration {

        @Bean
        Reactive reactive() {
            return new Reactive();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class BlockingConfiguration {

        @Bean
        Blocking blocking() {
            return new Blocking();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UnknownDatabaseConfiguration {

        @Bean
        UnknownDatabase unknownDatabase() {
            return new UnknownDatabase();
        }
    }

    @Test
    void proxiesBeansWithAnnotatedMethods() {
        this.runner.withUserConfiguration(ReactiveConfiguration.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(AopUtils.isAopProxy(context.getBean(Reactive.class))).isTrue();
        });
    }

    @Test
    void anAnnotatedMethodThatIsNotReactiveFailsTheStartup() {
        this.runner.withUserConfiguration(BlockingConfiguration.class).run(context -> assertThat(context).hasFailed()
                .getFailure()
                .hasRootCauseInstanceOf(IllegalStateException.class)
                .hasStackTraceContaining("@AtomicBlock on " + Blocking.class.getName() + ".names()")
                .hasStackTraceContaining("returns java.util.List")
                .hasStackTraceContaining("Declare the method as returning Mono or Flux"));
    }

    @Test
    void usingAnUnknownDatabaseFailsTheStartup() {
        this.runner.withUserConfiguration(UnknownDatabaseConfiguration.class)
                .run(context -> assertThat(context).hasFailed()
                .getFailure()
                .hasRootCauseInstanceOf(IllegalArgumentException.class)
                .hasStackTraceContaining("@AtomicBlock(using = \"nope\") on "
                        + UnknownDatabase.class.getName() + ".write()")
                .hasStackTraceContaining("the databases are [main]"));
    }
}
