package io.github.contextr2dbc.data;

import java.time.LocalDate;

import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.Transient;
import org.springframework.data.relational.core.mapping.Column;
import org.springframework.data.relational.core.mapping.Table;

/** A test entity. */
@Table("book")
public class Book {

    @Id
    private Long id;

    private String title;

    private Integer pages;

    private String status;

    @Column("published_on")
    private LocalDate published;

    @ForeignKey(to = Author.class)
    private Long authorId;

    @Transient
    private Author author;

    public Book() {
    }

    public Book(String title, Integer pages, String status, LocalDate published, Long authorId) {
        this.title = title;
        this.pages = pages;
        this.status = status;
        this.published = published;
        this.authorId = authorId;
    }

    public Long getId() {
        return this.id;
    }

    public String getTitle() {
        return this.title;
    }

    public Integer getPages() {
        return this.pages;
    }

    public String getStatus() {
        return this.status;
    }

    public LocalDate getPublished() {
        return this.published;
    }

    public Long getAuthorId() {
        return this.authorId;
    }

    public Author getAuthor() {
        return this.author;
    }

    public void setTitle(String title) {
        this.title = title;
    }

    @Override
    public String toString() {
        return "Book{" + this.id + ", " + this.title + "}";
    }
}
