package io.github.contextr2dbc;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A connection URL as it may appear in a message: the password of its user information and the values of
 * query options that name a secret are replaced by {@code ***}, whatever the rest of the URL looks like
 * (any scheme, a malformed port, a password holding {@code @} or {@code /}, no {@code //} at all).
 * Where the URL's shape does not show where the user information ends, everything up to the last
 * {@code @} is hidden.
 */
final class RedactedUrl {

    static final String MASK = "***";

    /** Query options whose value is a secret: password, sslPassword, sslKey, token, secret, ... */
    private static final Pattern SECRET_OPTION = Pattern.compile(
            "([?&;][^=&;#]*(?:password|passwd|pwd|secret|token|key)[^=&;#]*=)[^&;#]*", Pattern.CASE_INSENSITIVE);

    private RedactedUrl() {
    }

    static String of(String url) {
        if (url == null) {
            return "null";
        }
        int queryStart = indexOfAny(url, '?', '#');
        String beforeQuery = queryStart < 0 ? url : url.substring(0, queryStart);
        String query = queryStart < 0 ? "" : url.substring(queryStart);
        return userInfoRedacted(beforeQuery) + SECRET_OPTION.matcher(query).replaceAll(
                match -> Matcher.quoteReplacement(match.group(1) + MASK));
    }

    private static String userInfoRedacted(String url) {
        int at = url.lastIndexOf('@');
        if (at < 0) {
            return url;
        }
        int slashes = url.indexOf("//");
        if (slashes < 0 || slashes > at) {
            // no authority marker before the user information: hide everything before the host
            return MASK + url.substring(at);
        }
        int userStart = slashes + 2;
        String userInfo = url.substring(userStart, at);
        int colon = userInfo.indexOf(':');
        String shown = colon < 0 ? userInfo : userInfo.substring(0, colon) + ":" + MASK;
        if (userInfo.indexOf('/') >= 0 && colon < 0) {
            shown = MASK;
        }
        return url.substring(0, userStart) + shown + url.substring(at);
    }

    private static int indexOfAny(String text, char first, char second) {
        int a = text.indexOf(first);
        int b = text.indexOf(second);
        return a < 0 ? b : b < 0 ? a : Math.min(a, b);
    }
}
