package io.github.contextr2dbc.data;

import org.springframework.data.annotation.Id;
import org.springframework.data.relational.core.mapping.Table;

/** A test entity. */
@Table("account")
public class Account {

    @Id
    private Long id;

    private String owner;

    private long balance;

    public Account() {
    }

    public Account(String owner, long balance) {
        this.owner = owner;
        this.balance = balance;
    }

    public Long getId() {
        return this.id;
    }

    public String getOwner() {
        return this.owner;
    }

    public long getBalance() {
        return this.balance;
    }
}
