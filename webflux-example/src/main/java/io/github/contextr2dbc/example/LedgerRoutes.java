package io.github.contextr2dbc.example;

import java.util.List;

import io.github.contextr2dbc.data.FilterSet;
import io.github.contextr2dbc.data.InvalidQueryParameterException;
import io.github.contextr2dbc.data.ListQuery;
import io.github.contextr2dbc.data.Lookup;
import io.github.contextr2dbc.data.Ordering;
import io.github.contextr2dbc.data.QuerySet;
import io.github.contextr2dbc.spring.data.ListEndpoint;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The list endpoints, as functional routes: filtered, ordered, paginated lists answered as
 * {@code {"data": [...], "meta": {"offset", "limit", "totalItems", "totalPages", "pageNumber"}}}, with an
 * explicit allow-list of parameters; anything else is a 400 problem naming the parameter and what is allowed.
 * Reads go through the toolkit's routing (a replica in GET requests).
 */
@Configuration(proxyBeanMethods = false)
class LedgerRoutes {

    /** {@code GET /api/accounts}: the filters and orderings a client may use, 1 to 100 rows a page. */
    static final ListQuery ACCOUNTS = ListQuery.create()
            .filters(FilterSet.create()
                    .allow("owner", Lookup.ICONTAINS)
                    .allow("currency", Lookup.EXACT)
                    .allow("balance", Lookup.GTE, Lookup.LTE))
            .ordering(Ordering.allow("id", "owner", "currency", "balance", "createdAt").byDefault("id"))
            .pageSize(20, 100);

    /** {@code GET /api/transfers}: by account (either side), newest first unless asked otherwise. */
    static final ListQuery TRANSFERS = ListQuery.create()
            .filters(FilterSet.create())
            .ordering(Ordering.allow("id", "createdAt", "amount").byDefault("-createdAt", "-id"))
            .pageSize(20, 100);

    @Bean
    RouterFunction<ServerResponse> listRoutes(AccountRepository accounts, TransferRepository transfers) {
        return RouterFunctions.route()
                .GET("/api/accounts", ListEndpoint.of(accounts::objects, ACCOUNTS))
                .GET("/api/transfers", request -> transfers(request, transfers))
                .build();
    }

    private static Mono<ServerResponse> transfers(ServerRequest request, TransferRepository transfers) {
        MultiValueMap<String, String> params = new LinkedMultiValueMap<>(request.queryParams());
        List<String> account = params.remove("account");
        QuerySet<Transfer> base;
        if (account == null) {
            base = transfers.objects();
        } else {
            try {
                base = transfers.ofAccount(Long.parseLong(account.get(0)));
            } catch (NumberFormatException notANumber) {
                return ListEndpoint.badRequest(new InvalidQueryParameterException("account", "an account id"));
            }
        }
        return TRANSFERS.list(base, params)
                .flatMap(page -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(page))
                .onErrorResume(InvalidQueryParameterException.class, ListEndpoint::badRequest);
    }
}
