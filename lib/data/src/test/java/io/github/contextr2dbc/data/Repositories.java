package io.github.contextr2dbc.data;

import io.github.contextr2dbc.Database;

/** The test repositories: books with a manager, authors, accounts. */
final class Repositories {

    private Repositories() {
    }

    static final class BookRepository extends Repository<Book, Long> {

        BookRepository(Database database) {
            super(database);
        }

        /** A manager: the published books. */
        QuerySet<Book> published() {
            return objects().filter("status", "published");
        }
    }

    static final class AuthorRepository extends Repository<Author, Long> {

        AuthorRepository(Database database) {
            super(database);
        }
    }

    static final class AccountRepository extends Repository<Account, Long> {

        AccountRepository(Database database) {
            super(database);
        }
    }
}
