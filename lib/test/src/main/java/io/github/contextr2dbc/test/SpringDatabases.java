package io.github.contextr2dbc.test;

import java.util.ArrayList;
import java.util.List;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.Databases;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.junit.jupiter.SpringExtension;

/** The databases of a Spring test's application context. Loaded only when spring-test is on the class path. */
final class SpringDatabases {

    private static final boolean CONTEXT_R2DBC_SPRING = present("io.github.contextr2dbc.spring.Databases");

    private SpringDatabases() {
    }

    /** Whether the test class is run by the {@code SpringExtension} (as {@code @SpringBootTest} classes are). */
    static boolean runsWithSpring(Class<?> testClass) {
        for (Class<?> type = testClass; type != null; type = type.getEnclosingClass()) {
            for (ExtendWith extendWith : AnnotationSupport.findRepeatableAnnotations(type, ExtendWith.class)) {
                for (Class<?> extension : extendWith.value()) {
                    if (SpringExtension.class.isAssignableFrom(extension)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The {@code Databases} bean's databases with their primaries, else every {@code Database} bean. */
    static List<PinTarget> find(ExtensionContext context) {
        ApplicationContext application = SpringExtension.getApplicationContext(context);
        List<PinTarget> targets = new ArrayList<>();
        if (CONTEXT_R2DBC_SPRING) {
            Databases databases = application.getBeanProvider(Databases.class).getIfAvailable();
            if (databases != null) {
                for (Database database : databases.all()) {
                    targets.add(new PinTarget(database, databases.primaryOf(database)));
                }
                return targets;
            }
        }
        for (Database database : application.getBeansOfType(Database.class).values()) {
            targets.add(new PinTarget(database, null));
        }
        return targets;
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, SpringDatabases.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
