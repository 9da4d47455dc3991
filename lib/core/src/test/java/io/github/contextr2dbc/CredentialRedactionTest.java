package io.github.contextr2dbc;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** No error the toolkit raises for a URL it cannot use shows the URL's password, whatever the URL looks like. */
class CredentialRedactionTest {

    private static final String SECRET = "s3cretPW";

    @ParameterizedTest
    @ValueSource(strings = {
            "jdbc:postgresql://app:s3cretPW@127.0.0.1:5432/x",
            "postgresql://app:s3cretPW@127.0.0.1:5432/x",
            "postgres://app:s3cretPW@127.0.0.1/x",
            "r2dbc:postgresql://app:s3cretPW@/x",
            "r2dbc:postgresql://app:s3cretPW@127.0.0.1:notaport/x",
            "r2dbc:postgresql://app:s3cret@PW@127.0.0.1/x",
            "r2dbc:postgresql://app:s3cretPW/x@127.0.0.1/x",
            "r2dbc:nodriver://app:s3cretPW@127.0.0.1/x",
            "r2dbc:postgresql:app:s3cretPW@127.0.0.1/x",
            "r2dbc://app:s3cretPW@127.0.0.1/x",
            "r2dbc:postgresql://127.0.0.1/x?password=s3cretPW&sslMode=nonsense",
            "r2dbc:postgresql://app:s3cretPW@127.0.0.1/x?sslMode=nonsense",
            " r2dbc:postgresql://app:s3cretPW@127.0.0.1/x",
            "app:s3cretPW@127.0.0.1/x",
    })
    void anUnusableUrlIsRefusedWithoutItsPassword(String url) {
        Throwable error = catchThrowable(() -> Database.builder("main").url(url).build().close().block());
        if (error == null) {
            return; // accepted: nothing was said about it
        }
        assertThat(error).isInstanceOf(IllegalArgumentException.class);
        StringWriter printed = new StringWriter();
        error.printStackTrace(new PrintWriter(printed));
        assertThat(printed.toString()).doesNotContain(SECRET).doesNotContain("s3cret");
        assertThat(error.getMessage()).as("says what to fix").contains("r2dbc:");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "r2dbc:postgresql://app:s3cretPW@db1:5432/shop|r2dbc:postgresql://app:***@db1:5432/shop",
            "r2dbc:postgresql://app@db1/shop|r2dbc:postgresql://app@db1/shop",
            "r2dbc:postgresql://db1/shop?user=app&password=s3cretPW&x=1"
                    + "|r2dbc:postgresql://db1/shop?user=app&password=***&x=1",
            "r2dbc:postgresql://app:s3cret@PW@db1/shop|r2dbc:postgresql://app:***@db1/shop",
            "r2dbc:postgresql:app:s3cretPW@db1/shop|***@db1/shop",
            "r2dbc:postgresql://db1/shop|r2dbc:postgresql://db1/shop",
    })
    void redactsPasswordsAndKeepsTheRest(String pair) {
        String[] parts = pair.split("\\|");
        assertThat(RedactedUrl.of(parts[0])).isEqualTo(parts[1]);
    }
}
