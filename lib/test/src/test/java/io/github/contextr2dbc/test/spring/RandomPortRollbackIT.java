package io.github.contextr2dbc.test.spring;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import io.github.contextr2dbc.test.RollbackPerTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/** The application on a real server (a random port), called by a real HTTP client, under @RollbackPerTest. */
@SpringBootTest(classes = ItemsApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@RollbackPerTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RandomPortRollbackIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @DynamicPropertySource
    static void databases(DynamicPropertyRegistry registry) {
        ItemsApplication.register(registry);
    }

    @LocalServerPort
    int port;

    HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + this.port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void writesOverHttpAreVisibleWithinTheTest() throws Exception {
        assertThat(send("POST", "/items?name=over-http").statusCode()).isEqualTo(201);
        assertThat(send("POST", "/items?name=refused&status=409").statusCode()).isEqualTo(409);
        assertThat(send("GET", "/items/count").body()).isEqualTo("1");
        assertThat(ItemsApplication.DIRECT.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    @Order(2)
    void andGoneInTheNextTest() throws Exception {
        assertThat(send("GET", "/items/count").body()).isEqualTo("0");
        assertThat(send("POST", "/items?name=over-http").statusCode()).isEqualTo(201);
    }
}
