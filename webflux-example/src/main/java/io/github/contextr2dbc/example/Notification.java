package io.github.contextr2dbc.example;

/**
 * A notification from the outbox.
 *
 * @param id      its row id in {@code outbox}
 * @param topic   what happened, e.g. {@code transfer.completed}
 * @param payload a JSON document
 */
record Notification(long id, String topic, String payload) {
}
