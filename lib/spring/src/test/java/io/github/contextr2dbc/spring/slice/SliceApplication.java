package io.github.contextr2dbc.spring.slice;

import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.spring.Using;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.data.annotation.Id;
import org.springframework.data.relational.core.mapping.Table;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The application Spring Boot's test slices find from this package: one entity, its repository, one controller. */
@SpringBootApplication
public class SliceApplication {

    /** A row of {@code note}. */
    @Table("note")
    public record Note(@Id @Nullable Long id, String text) {
    }

    /** Writes through a session argument and answers the status it is asked for. */
    @RestController
    static class NoteController {

        @PostMapping("/notes/{text}/{status}")
        Mono<ResponseEntity<String>> create(@PathVariable String text,
                @PathVariable int status, @Using("main") DbSession session) {
            return session.sql("INSERT INTO note (text) VALUES ($1)").bind(0, text).execute()
                    .thenReturn(ResponseEntity.status(HttpStatus.valueOf(status)).body(text));
        }
    }
}
