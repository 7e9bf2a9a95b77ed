package io.hakobu.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Reconnect backoff: exponential from the minimum, capped, with equal jitter. */
class ForwardClientBackoffTest {
    @Test
    void doublesUpToTheCapWithJitterInTheUpperHalf() {
        assertEquals(100, ForwardClient.backoffMillis(1, 200, 30_000, 0.0));
        assertEquals(200, ForwardClient.backoffMillis(1, 200, 30_000, 0.9999));
        assertEquals(200, ForwardClient.backoffMillis(2, 200, 30_000, 0.0));
        assertEquals(400, ForwardClient.backoffMillis(2, 200, 30_000, 0.9999));
        assertEquals(800, ForwardClient.backoffMillis(3, 200, 30_000, 0.9999));
        for (int attempt = 1; attempt < 100; attempt++) {
            for (double r : new double[] {0, 0.25, 0.5, 0.75, 0.9999}) {
                long d = ForwardClient.backoffMillis(attempt, 200, 30_000, r);
                long ceiling = Math.min(30_000, 200L << Math.min(attempt - 1, 30));
                assertTrue(d >= ceiling / 2 && d <= ceiling, attempt + " " + r + " -> " + d);
            }
        }
        assertTrue(ForwardClient.backoffMillis(1000, 200, 30_000, 0.9999) >= 29_990);
    }
}
