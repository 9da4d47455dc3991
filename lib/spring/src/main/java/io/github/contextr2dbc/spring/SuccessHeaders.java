package io.github.contextr2dbc.spring;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseCookie;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.MultiValueMap;

/**
 * The headers that describe a successful response ({@code Location}, {@code Content-Location},
 * {@code ETag}, {@code Last-Modified}, {@code Set-Cookie} and the response's cookies) as they were when the
 * request entered the filter. When an error response replaces the one the handler chain prepared (a
 * failed commit, a handler error), {@link #restore()} puts them back as they were: the error response does
 * not point at a resource that was never created, nor set a cookie for a success that did not happen.
 */
final class SuccessHeaders {

    private static final List<String> NAMES = List.of(HttpHeaders.LOCATION, HttpHeaders.CONTENT_LOCATION,
            HttpHeaders.ETAG, HttpHeaders.LAST_MODIFIED, HttpHeaders.SET_COOKIE);

    private final ServerHttpResponse response;

    private final Map<String, List<String>> headers = new HashMap<>();

    private final Map<String, List<ResponseCookie>> cookies = new HashMap<>();

    private SuccessHeaders(ServerHttpResponse response) {
        this.response = response;
        HttpHeaders current = response.getHeaders();
        for (String name : NAMES) {
            List<String> values = current.get(name);
            if (values != null) {
                this.headers.put(name, List.copyOf(values));
            }
        }
        response.getCookies().forEach((name, values) -> this.cookies.put(name, List.copyOf(values)));
    }

    /** The success headers of {@code response} now. */
    static SuccessHeaders of(ServerHttpResponse response) {
        return new SuccessHeaders(response);
    }

    /**
     * Puts the success headers back as they were, unless the response is already committed (then nothing can change).
     */
    void restore() {
        if (this.response.isCommitted()) {
            return;
        }
        HttpHeaders current = this.response.getHeaders();
        for (String name : NAMES) {
            List<String> before = this.headers.get(name);
            if (before == null) {
                current.remove(name);
            } else {
                current.put(name, before);
            }
        }
        MultiValueMap<String, ResponseCookie> cookies = this.response.getCookies();
        for (String name : Set.copyOf(cookies.keySet())) {
            List<ResponseCookie> before = this.cookies.get(name);
            if (before == null) {
                cookies.remove(name);
            } else {
                cookies.put(name, before);
            }
        }
    }
}
