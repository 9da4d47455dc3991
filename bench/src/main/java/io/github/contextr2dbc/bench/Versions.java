package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** The versions of the libraries on the class path, read from their Maven {@code pom.properties}. */
final class Versions {

    private static final String[][] LIBRARIES = {
        {"io.r2dbc", "r2dbc-pool"}, {"org.postgresql", "r2dbc-postgresql"}, {"io.projectreactor", "reactor-core"},
        {"io.projectreactor.netty", "reactor-netty-http"}, {"org.springframework", "spring-core"},
        {"org.springframework.data", "spring-data-r2dbc"}, {"org.springframework.boot", "spring-boot"},
        {"org.openjdk.jmh", "jmh-core"}, {"org.hdrhistogram", "HdrHistogram"},
    };

    private Versions() {
    }

    /** {@code r2dbc-pool 1.0.2, r2dbc-postgresql 1.1.1, …} (only the libraries found). */
    static String describe() {
        List<String> found = new ArrayList<>();
        for (String[] library : LIBRARIES) {
            String version = version(library[0], library[1]);
            if (version != null) {
                found.add(library[1] + " " + version);
            }
        }
        return String.join(", ", found);
    }

    private static String version(String group, String artifact) {
        String resource = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        try (InputStream in = Versions.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException unreadable) {
            return null;
        }
    }
}
