/**
 * The environment the test run gives its processes (vitest.config.mts): the machine's, less NODE_EXTRA_CA_CERTS, which
 * costs every node process its parse at start, and which no test's client needs (each gets its server's CA from the test).
 */
import { describe, expect, it } from "vitest";

describe("the test run's environment", () => {
    it("has no NODE_EXTRA_CA_CERTS in the workers, whose environment every process a test starts inherits", () => {
        expect(process.env["NODE_EXTRA_CA_CERTS"]).toBeUndefined();
    });
});
