import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Each file runs in its own worker: the Pulumi SDK keeps its runtime state in process globals.
        pool: "forks",
        testTimeout: 30_000,
        hookTimeout: 60_000,
    },
});
