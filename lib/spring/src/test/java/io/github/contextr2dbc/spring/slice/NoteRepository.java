package io.github.contextr2dbc.spring.slice;

import org.springframework.data.repository.reactive.ReactiveCrudRepository;

/** A plain Spring Data repository of {@link SliceApplication.Note}. */
public interface NoteRepository extends ReactiveCrudRepository<SliceApplication.Note, Long> {
}
