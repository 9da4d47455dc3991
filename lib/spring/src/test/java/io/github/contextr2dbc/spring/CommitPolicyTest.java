package io.github.contextr2dbc.spring;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatusCode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class CommitPolicyTest {

    private static boolean commits(CommitPolicy policy, int status) {
        return policy.commits(HttpStatusCode.valueOf(status));
    }

    @Test
    void theStandardPolicyCommitsBelow400() {
        CommitPolicy policy = CommitPolicy.standard();
        assertThat(commits(policy, 200)).isTrue();
        assertThat(commits(policy, 204)).isTrue();
        assertThat(commits(policy, 302)).isTrue();
        assertThat(commits(policy, 399)).isTrue();
        assertThat(commits(policy, 400)).isFalse();
        assertThat(commits(policy, 404)).isFalse();
        assertThat(commits(policy, 500)).isFalse();
        assertThat(commits(policy, 599)).isFalse();
    }

    @Test
    void redirectsCanRollBack() {
        CommitPolicy policy = CommitPolicy.builder().commitRedirects(false).build();
        assertThat(commits(policy, 303)).isFalse();
        assertThat(commits(policy, 200)).isTrue();
    }

    @Test
    void singleStatusesCanBeTurnedEitherWay() {
        CommitPolicy policy = CommitPolicy.builder().commitStatuses(404).rollbackStatuses(202).build();
        assertThat(commits(policy, 404)).isTrue();
        assertThat(commits(policy, 202)).isFalse();
        assertThat(commits(policy, 400)).isFalse();
        assertThat(commits(policy, 200)).isTrue();
    }

    @Test
    void anExplicitStatusWinsOverTheRedirectRule() {
        CommitPolicy policy = CommitPolicy.builder().commitRedirects(false).commitStatuses(304).build();
        assertThat(commits(policy, 304)).isTrue();
        assertThat(commits(policy, 301)).isFalse();
    }

    @Test
    void rejectsImpossibleOrContradictoryStatuses() {
        assertThatIllegalArgumentException().isThrownBy(() -> CommitPolicy.builder().commitStatuses(99))
                .withMessageContaining("100 to 599");
        assertThatIllegalArgumentException().isThrownBy(() -> CommitPolicy.builder().commitStatuses(404)
                .rollbackStatuses(404))
                .withMessageContaining("both");
    }

    @Test
    void aBuiltPolicyDoesNotChangeWithItsBuilder() {
        CommitPolicy.Builder builder = CommitPolicy.builder();
        CommitPolicy policy = builder.build();
        builder.commitStatuses(500);
        assertThat(commits(policy, 500)).isFalse();
    }
}
