package io.github.contextr2dbc.bench;

/** The JSON body of {@code POST /items} in {@link WebFilterBenchmark}: the row to insert into {@code bench_insert}. */
public record NewItem(String name, int price) {

    /** The body as JSON, the way the benchmark's client sends it ({@code name} needs no escaping). */
    String json() {
        return "{\"name\":\"" + this.name + "\",\"price\":" + this.price + "}";
    }
}
