package io.github.contextr2dbc.example;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** The example's notification sender: it logs them (a real service would publish to a broker here). */
@Component
class LoggingNotificationSender implements NotificationSender {

    private static final Log log = LogFactory.getLog(LoggingNotificationSender.class);

    @Override
    public Mono<Void> send(Notification notification) {
        return Mono.fromRunnable(() -> log.info("notification " + notification.id() + " " + notification.topic()
                + " " + notification.payload()));
    }
}
