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
 * failed commit, a handler error), {@link #restore(ServerHttpResponse)} puts them back as they were: the error
 * response does not point at a resource that was never created, nor set a cookie for a success that did not
 * happen. A request usually enters the filter with none of them: that snapshot is one shared instance, and
 * taking it allocates nothing.
 */
final class SuccessHeaders {

    private static final List<String> NAMES = List.of(HttpHeaders.LOCATION, HttpHeaders.CONTENT_LOCATION,
            HttpHeaders.ETAG, HttpHeaders.LAST_MODIFIED, HttpHeaders.SET_COOKIE);

    /** The snapshot of a response with none of the success headers and no cookie. */
    private static final SuccessHeaders NONE = new SuccessHeaders(Map.of(), Map.of());

    private final Map<String, List<String>> headers;

    private final Map<String, List<ResponseCookie>> cookies;

    private SuccessHeaders(Map<String, List<String>> headers, Map<String, List<ResponseCookie>> cookies) {
        this.headers = headers;
        this.cookies = cookies;
    }

    /** The success headers of {@code response} now. */
    static SuccessHeaders of(ServerHttpResponse response) {
        HttpHeaders current = response.getHeaders();
        Map<String, List<String>> headers = null;
        for (String name : NAMES) {
            List<String> values = current.get(name);
            if (values != null) {
                if (headers == null) {
                    headers = new HashMap<>();
                }
                headers.put(name, List.copyOf(values));
            }
        }
        MultiValueMap<String, ResponseCookie> cookies = response.getCookies();
        if (headers == null && cookies.isEmpty()) {
            return NONE;
        }
        Map<String, List<ResponseCookie>> copied = new HashMap<>();
        cookies.forEach((name, values) -> copied.put(name, List.copyOf(values)));
        return new SuccessHeaders(headers == null ? Map.of() : headers, copied);
    }

    /**
     * Puts the success headers of {@code response} back as they were, unless it is already committed (then
     * nothing can change).
     */
    void restore(ServerHttpResponse response) {
        if (response.isCommitted()) {
            return;
        }
        HttpHeaders current = response.getHeaders();
        for (String name : NAMES) {
            List<String> before = this.headers.get(name);
            if (before == null) {
                current.remove(name);
            } else {
                current.put(name, before);
            }
        }
        MultiValueMap<String, ResponseCookie> cookies = response.getCookies();
        if (cookies.isEmpty()) {
            return;
        }
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
