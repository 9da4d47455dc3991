package io.github.contextr2dbc.spring;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReadAfterTokenTest {

    private static final String KEY = "a shared secret of the instances";

    @Test
    void anInstanceWithTheSameKeyHonoursAnotherInstancesToken() {
        String token = ReadAfterToken.withKey(KEY).issue("16/B374D848");
        assertThat(ReadAfterToken.withKey(KEY).verify(token)).isEqualTo("16/B374D848");
    }

    @Test
    void aForgedOrForeignTokenIsRefused() {
        String token = ReadAfterToken.withKey(KEY).issue("16/B374D848");
        String mac = token.substring(token.indexOf('.'));
        assertThat(ReadAfterToken.withKey(KEY).verify("FF/B374D848" + mac)).isNull();
        assertThat(ReadAfterToken.withKey("another secret of 16+ chars").verify(token)).isNull();
        assertThat(ReadAfterToken.withRandomKey().verify(token)).isNull();
    }

    @Test
    void malformedTokensAreRefusedWithoutErrors() {
        ReadAfterToken tokens = ReadAfterToken.withKey(KEY);
        for (String bad : new String[] {null, "", ".", "16/B374D848", "16/B374D848.", "not/hex.abc", "x.y.z",
            "16/B374D848.!!!", "1/2/3.abcd"}) {
            assertThat(tokens.verify(bad)).as(String.valueOf(bad)).isNull();
        }
    }

    @Test
    void aShortKeyIsRefusedWithTheFix() {
        assertThatThrownBy(() -> ReadAfterToken.withKey("short"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("context-r2dbc.routing.token.key");
    }
}
