package io.github.contextr2dbc.spring.boot;

import java.util.ArrayList;
import java.util.List;

import io.github.contextr2dbc.spring.ContextR2dbcWebFilter;
import org.springframework.util.unit.DataSize;

/** The WebFlux filter, under {@code context-r2dbc.web}. */
public class ContextR2dbcWebProperties {

    /** Whether every request is a unit of work (the filter, problem responses, argument resolvers). */
    private boolean enabled = true;

    /** Whether 3xx responses commit. */
    private boolean commitRedirects = true;

    /** Statuses that commit although they are 400 or above. */
    private List<Integer> commitStatuses = new ArrayList<>();

    /** Statuses that roll back although they are below 400. */
    private List<Integer> rollbackStatuses = new ArrayList<>();

    /** The filter's order (the default runs it before Spring Security, at -100). */
    private int filterOrder = ContextR2dbcWebFilter.DEFAULT_ORDER;

    /** Whether database errors (and failed commits) become RFC 9457 problem responses. */
    private boolean problemResponses = true;

    /**
     * The largest body of known length (e.g. a Resource) read and held until the unit of work
     * finishes, so that a failed commit still changes the status; a longer one is written after the
     * unit of work finished.
     */
    private DataSize holdLimit = DataSize.ofBytes(ContextR2dbcWebFilter.DEFAULT_HOLD_LIMIT);

    /**
     * Whether the Reactor Netty server re-arms the read of HTTP/1.1 keep-alive connections that Reactor
     * Netty before 1.3.8 stops reading (its issue 4361). Applies whether or not the filter is enabled.
     */
    private boolean rearmKeepAliveRead = true;

    public boolean isEnabled() {
        return this.enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean isCommitRedirects() {
        return this.commitRedirects;
    }

    public void setCommitRedirects(boolean commitRedirects) {
        this.commitRedirects = commitRedirects;
    }

    public List<Integer> getCommitStatuses() {
        return this.commitStatuses;
    }

    public void setCommitStatuses(List<Integer> commitStatuses) {
        this.commitStatuses = commitStatuses;
    }

    public List<Integer> getRollbackStatuses() {
        return this.rollbackStatuses;
    }

    public void setRollbackStatuses(List<Integer> rollbackStatuses) {
        this.rollbackStatuses = rollbackStatuses;
    }

    public int getFilterOrder() {
        return this.filterOrder;
    }

    public void setFilterOrder(int filterOrder) {
        this.filterOrder = filterOrder;
    }

    public boolean isProblemResponses() {
        return this.problemResponses;
    }

    public void setProblemResponses(boolean problemResponses) {
        this.problemResponses = problemResponses;
    }

    public DataSize getHoldLimit() {
        return this.holdLimit;
    }

    public void setHoldLimit(DataSize holdLimit) {
        this.holdLimit = holdLimit;
    }

    public boolean isRearmKeepAliveRead() {
        return this.rearmKeepAliveRead;
    }

    public void setRearmKeepAliveRead(boolean rearmKeepAliveRead) {
        this.rearmKeepAliveRead = rearmKeepAliveRead;
    }
}
