package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class WriteBudgetTest {
    @Test
    void aWriterWaitsUntilAnotherChunkIsAnswered() throws Exception {
        WriteBudget budget = new WriteBudget(3 << 20);
        budget.acquire(1 << 20);
        budget.acquire(1 << 20);
        budget.acquire(1 << 20);
        assertThat(budget.available()).isZero();
        CompletableFuture<Void> fourth = CompletableFuture.runAsync(() -> {
            try {
                budget.acquire(1 << 20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertThatThrownBy(() -> fourth.get(200, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        budget.release(1 << 20);
        fourth.get(10, TimeUnit.SECONDS);
        assertThat(budget.available()).isZero();
    }

    @Test
    void aChunkLargerThanTheBudgetTakesAllOfItAndGivesItBack() throws Exception {
        WriteBudget budget = new WriteBudget(64 << 10);
        budget.acquire(1 << 20);
        assertThat(budget.available()).isZero();
        budget.release(1 << 20);
        assertThat(budget.available()).isEqualTo(64 << 10);
    }

    @Test
    void partialKibibytesCountAsWholeOnesBothWays() throws Exception {
        WriteBudget budget = new WriteBudget(8 << 10);
        budget.acquire(1);
        budget.acquire(1025);
        assertThat(budget.available()).isEqualTo(5 << 10);
        budget.release(1025);
        budget.release(1);
        assertThat(budget.available()).isEqualTo(8 << 10);
    }
}
