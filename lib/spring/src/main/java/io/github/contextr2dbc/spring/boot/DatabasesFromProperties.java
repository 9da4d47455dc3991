package io.github.contextr2dbc.spring.boot;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DatabaseBuilder;
import io.github.contextr2dbc.PrimaryResolver;
import io.github.contextr2dbc.SessionOptions;
import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.boot.ContextR2dbcProperties.DatabaseProperties;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.ConstructorArgumentValues;
import org.springframework.beans.factory.config.RuntimeBeanReference;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.util.ClassUtils;

/**
 * Registers the beans of the databases declared under {@code context-r2dbc.databases}: one
 * {@link Databases} bean ({@value #DATABASES_BEAN}) that builds every {@link Database} handle in
 * declaration order, and per database a {@code <name>Database} and a {@code <name>ConnectionFactory}
 * bean (the session-aware one), and with spring-tx on the class path a {@code <name>TransactionManager}
 * ({@code UnitOfWorkTransactionManager}), {@code @Primary} for the default database. When no database is
 * declared, Spring Boot's own database ({@code spring.r2dbc.*}, a {@code @ServiceConnection}, Docker Compose)
 * is the default one, called {@code default} (see {@link BootConnectionDetailsDatabase}); without that either,
 * nothing is registered.
 */
final class DatabasesFromProperties implements ImportBeanDefinitionRegistrar, EnvironmentAware, BeanFactoryAware {

    static final String DATABASES_BEAN = "contextR2dbcDatabases";

    static final String LIFECYCLE_BEAN = "contextR2dbcDatabasesLifecycle";

    private static final String PREFIX = "context-r2dbc.databases.";

    /** Whether Spring's transaction support (spring-tx) is on the class path. */
    private static final boolean SPRING_TRANSACTIONS = ClassUtils.isPresent(
            "org.springframework.transaction.ReactiveTransactionManager",
                    DatabasesFromProperties.class.getClassLoader());

    @Nullable
    private Environment environment;

    @Nullable
    private BeanFactory beanFactory;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = beanFactory;
    }

    @Override
    public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
        if (this.environment == null) {
            return;
        }
        ContextR2dbcProperties properties = Binder.get(this.environment)
                .bind("context-r2dbc", ContextR2dbcProperties.class)
                .orElseGet(ContextR2dbcProperties::new);
        if (registry.containsBeanDefinition(DATABASES_BEAN)) {
            return;
        }
        Map<String, DatabaseProperties> declared = new LinkedHashMap<>(properties.getDatabases());
        String defaultName;
        RootBeanDefinition databases;
        if (declared.isEmpty()) {
            // Spring Boot's conventions: its one database (spring.r2dbc.*, @ServiceConnection, Docker Compose)
            Environment environment = this.environment;
            BeanFactory beanFactory = this.beanFactory;
            if (beanFactory == null || !BootConnectionDetailsDatabase.applies(environment, registry)) {
                return;
            }
            defaultName = BootConnectionDetailsDatabase.NAME;
            declared.put(defaultName, new DatabaseProperties());
            databases = new RootBeanDefinition(Databases.class,
                    () -> BootConnectionDetailsDatabase.build(beanFactory, environment,
                            ServerEventLoops.find(beanFactory, DATABASES_BEAN)));
        } else {
            defaultName = defaultName(declared);
            BeanFactory beanFactory = this.beanFactory;
            databases = new RootBeanDefinition(Databases.class,
                    () -> build(declared, defaultName, ServerEventLoops.find(beanFactory, DATABASES_BEAN)));
        }
        registry.registerBeanDefinition(DATABASES_BEAN, databases);

        for (String name : declared.keySet()) {
            boolean primary = name.equals(defaultName);
            RootBeanDefinition database = new RootBeanDefinition();
            database.setTargetType(Database.class);
            database.setFactoryBeanName(DATABASES_BEAN);
            database.setFactoryMethodName("get");
            ConstructorArgumentValues arguments = new ConstructorArgumentValues();
            arguments.addIndexedArgumentValue(0, name);
            database.setConstructorArgumentValues(arguments);
            database.setPrimary(primary);
            registry.registerBeanDefinition(name + "Database", database);

            RootBeanDefinition connectionFactory = new RootBeanDefinition();
            connectionFactory.setTargetType(ConnectionFactory.class);
            connectionFactory.setFactoryBeanName(name + "Database");
            connectionFactory.setFactoryMethodName("connectionFactory");
            connectionFactory.setPrimary(primary);
            registry.registerBeanDefinition(name + "ConnectionFactory", connectionFactory);

            if (SPRING_TRANSACTIONS) {
                // in place of Spring Boot's R2dbcTransactionManager, which would commit the request's session early
                // by name: this class must load without spring-tx
                RootBeanDefinition transactionManager = new RootBeanDefinition();
                transactionManager.setBeanClassName("io.github.contextr2dbc.spring.UnitOfWorkTransactionManager");
                ConstructorArgumentValues managerArguments = new ConstructorArgumentValues();
                managerArguments.addIndexedArgumentValue(0, new RuntimeBeanReference(name + "Database"));
                transactionManager.setConstructorArgumentValues(managerArguments);
                transactionManager.setPrimary(primary);
                registry.registerBeanDefinition(name + "TransactionManager", transactionManager);
            }
        }

        RootBeanDefinition lifecycle = new RootBeanDefinition(DatabasesLifecycle.class);
        ConstructorArgumentValues lifecycleArguments = new ConstructorArgumentValues();
        lifecycleArguments.addIndexedArgumentValue(0, new RuntimeBeanReference(DATABASES_BEAN));
        lifecycleArguments.addIndexedArgumentValue(1, properties.getStartupProbe());
        lifecycle.setConstructorArgumentValues(lifecycleArguments);
        registry.registerBeanDefinition(LIFECYCLE_BEAN, lifecycle);
    }

    /** Which database is the default; fails with a message naming the property to set. */
    static String defaultName(Map<String, DatabaseProperties> declared) {
        List<String> marked = new ArrayList<>();
        List<String> notReplicas = new ArrayList<>();
        declared.forEach((name, database) -> {
            if (database.getUrl() == null || database.getUrl().isBlank()) {
                throw new IllegalStateException(PREFIX + name + ".url is not set: give the R2DBC URL of database '"
                        + name + "', e.g. r2dbc:postgresql://app:secret@localhost:5432/shop");
            }
            String replicaOf = database.getReplicaOf();
            if (replicaOf != null && !replicaOf.isBlank()) {
                if (replicaOf.equals(name) || !declared.containsKey(replicaOf)) {
                    throw new IllegalStateException(PREFIX + name + ".replica-of is '" + replicaOf + "', which is not "
                            + "another configured database; the databases are " + declared.keySet());
                }
            } else {
                notReplicas.add(name);
            }
            if (database.isDefault()) {
                marked.add(name);
            }
        });
        if (marked.size() == 1) {
            return marked.get(0);
        }
        if (marked.size() > 1) {
            throw new IllegalStateException("Several databases are marked default: " + marked + ". Set "
                    + PREFIX + "<name>.default=true on one of them only");
        }
        if (declared.size() == 1) {
            return declared.keySet().iterator().next();
        }
        if (notReplicas.size() == 1) {
            return notReplicas.get(0);
        }
        throw new IllegalStateException("Several databases are configured " + declared.keySet() + " and none is the "
                + "default: set " + PREFIX + "<name>.default=true on one of them");
    }

    /**
     * Builds every handle, in declaration order (which fixes the order units of work commit them in), their driver
     * on the web server's event loops if {@code serverLoops} is not null ({@code context-r2dbc.event-loops}).
     */
    static Databases build(Map<String, DatabaseProperties> declared, String defaultName,
            @Nullable ServerEventLoops serverLoops) {
        // primaries first, so that each replica is built knowing its primary; then in declaration order
        Map<String, Database> primariesFirst = new LinkedHashMap<>();
        declared.forEach((name, properties) -> {
            if (properties.getReplicaOf() == null || properties.getReplicaOf().isBlank()) {
                primariesFirst.put(name, database(name, properties, null, serverLoops));
            }
        });
        declared.forEach((name, properties) -> {
            if (!primariesFirst.containsKey(name)) {
                primariesFirst.put(name, database(name, properties, primariesFirst.get(properties.getReplicaOf()),
                        serverLoops));
            }
        });
        Map<String, Database> built = new LinkedHashMap<>();
        declared.keySet().forEach(name -> built.put(name, primariesFirst.get(name)));
        Map<Database, Database> replicaOf = new LinkedHashMap<>();
        declared.forEach((name, properties) -> {
            String primary = properties.getReplicaOf();
            if (primary != null && !primary.isBlank()) {
                replicaOf.put(built.get(name), built.get(primary));
            }
        });
        return Databases.of(new ArrayList<>(built.values()), built.get(defaultName), replicaOf);
    }

    /** A resolver over {@code hosts}, each connected to with the URL's other options (and the server's loops). */
    private static PrimaryResolver resolver(String url, List<String> hosts, @Nullable ServerEventLoops serverLoops) {
        ConnectionFactoryOptions parsed = ConnectionFactoryOptions.parse(url);
        ConnectionFactoryOptions options = serverLoops == null ? parsed : serverLoops.applyTo(parsed);
        return PrimaryResolver.of(hosts, host -> {
            int colon = host.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("failover-hosts needs host:port entries, got '" + host + "'");
            }
            return ConnectionFactories.get(options.mutate()
                    .option(ConnectionFactoryOptions.HOST, host.substring(0, colon))
                    .option(ConnectionFactoryOptions.PORT, Integer.parseInt(host.substring(colon + 1)))
                    .build());
        });
    }

    private static Database database(String name, DatabaseProperties properties, @Nullable Database primary,
            @Nullable ServerEventLoops serverLoops) {
        ContextR2dbcProperties.Pool pool = properties.getPool();
        ContextR2dbcProperties.Session session = properties.getSession();
        try {
            DatabaseBuilder builder = Database.builder(name).url(properties.getUrl());
            if (!properties.getFailoverHosts().isEmpty()) {
                PrimaryResolver resolver = resolver(properties.getUrl(), properties.getFailoverHosts(), serverLoops);
                builder.connectionFactory(properties.getFailoverHosts().get(0), resolver::connectionFactory)
                        .beforeSession(resolver::beforeSession);
            } else if (serverLoops != null) {
                serverLoops.applyTo(builder);
            }
            return builder
                    .maxSize(pool.getMaxSize())
                    .initialSize(pool.getInitialSize())
                    .acquireTimeout(pool.getAcquireTimeout())
                    .maxIdleTime(pool.getMaxIdleTime())
                    .maxLifeTime(pool.getMaxLifeTime())
                    .validationQuery(pool.getValidationQuery())
                    .outsideUnitOfWork(properties.getOutsideUnitOfWork())
                    .replicaOf(primary)
                    .sessionOptions(SessionOptions.builder()
                            .readOnly(session.isReadOnly())
                            .statementTimeout(session.getStatementTimeout())
                            .lockTimeout(session.getLockTimeout())
                            .build())
                    .build();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("Database '" + name + "' is misconfigured under " + PREFIX + name + ": "
                    + e.getMessage(), e);
        }
    }
}
