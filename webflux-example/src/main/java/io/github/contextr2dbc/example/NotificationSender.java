package io.github.contextr2dbc.example;

import reactor.core.publisher.Mono;

/** Where the outbox relay delivers notifications (a message broker, a webhook...). */
interface NotificationSender {

    /**
     * Delivers one notification.
     *
     * @param notification the notification
     * @return completes when delivered; an error leaves it in the outbox for the next round
     */
    Mono<Void> send(Notification notification);
}
