package io.github.contextr2dbc.data;

import java.time.LocalDate;

import org.springframework.data.annotation.Id;
import org.springframework.data.relational.core.mapping.Table;

/** A test entity. */
@Table("author")
public class Author {

    @Id
    private Long id;

    private String name;

    private LocalDate born;

    public Author() {
    }

    public Author(String name, LocalDate born) {
        this.name = name;
        this.born = born;
    }

    public Long getId() {
        return this.id;
    }

    public String getName() {
        return this.name;
    }

    public LocalDate getBorn() {
        return this.born;
    }

    public void setName(String name) {
        this.name = name;
    }

    @Override
    public String toString() {
        return "Author{" + this.id + ", " + this.name + "}";
    }
}
