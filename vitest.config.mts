import { defineConfig } from "vitest/config";
import LongestFirstSequencer from "./test/support/longestFirst.mjs";

// Two projects (vitest docs, "Parallel and Sequential Test Files": project-level maxWorkers, sequence.groupOrder):
// - unit: four files at a time. vitest's default on 2 cores is one (cpus - 1), which ran the files in series; the
//   end-to-end files wait on gunicorn, Python's sign-in retries and the Arc agent, all three at once near the start,
//   so more workers than cores keep both busy (on 2 cores, measured: 52 s with two, 45 s with three, 43 s with
//   four). The files share their worker's modules (isolate: false): each fork loads the Pulumi SDK and the
//   providers' SDKs once, not once a file (about 2.5 s of CPU a file). Safe because every program run goes through
//   tools/offline/engine.ts, which sets the SDK's mocks, config and clock anew for each stack and restores the clock
//   and keys after it; no test file mocks modules or stubs globals.
// - engine: the real-engine files (test/engine), after the unit files, three at a time. Each file has a local Azure,
//   a workspace, a Pulumi home and a state of its own, so they never meet; and a `pulumi up` leaves a core idle much
//   of the time (the CLI, the language host, the policy pack and the providers wait on each other): on 2 cores,
//   `npm run fleet` ran 50 stacks two at a time in 0.64x the time of one at a time (README, "Many apps in one tenant").
//   The longest file, fleetScale (started first, test/support/longestFirst.mts), spends most of its `up` waiting out
//   the throttled Graph's Retry-After (561 writes answered 429, one second each); with two workers that left one core
//   to the other files and the second idle, and a third fills it: 611 s and 1,100 s of CPU with two, 537 s and
//   1,032 s with three (one run each, lazyPromiseStacks.cjs in the second). The time limits are generous for that
//   (180 s unless a test sets its own): they catch a hang, and speed is the bench's.
// The machine's NODE_EXTRA_CA_CERTS is left out of the run. Node parses the file it names as every process starts (with
// OpenSSL 3, nodejs/node#40524, open): 50-60 ms of CPU a start for a system bundle of 144 certificates, measured with
// `node -e ''` on the 2-core machine, and the engine suite starts some 2,500 node processes. No test reaches a server but
// its own (the local Azure, Azurite, the GitHub and OIDC stand-ins), and each client of one gets that server's CA from
// the test (the local Azure's caFile), as a user's machine, which sets no such variable, would.
delete process.env["NODE_EXTRA_CA_CERTS"];

export default defineConfig({
    test: {
        // Forks, not threads: the engine files start processes and the Pulumi SDK keeps its runtime state in
        // process globals.
        pool: "forks",
        // The engine files known to take longest start first (test/support/longestFirst.mts).
        sequence: { sequencer: LongestFirstSequencer },
        testTimeout: 30_000,
        hookTimeout: 60_000,
        projects: [
            {
                extends: true,
                test: {
                    name: "unit",
                    include: ["test/**/*.test.ts"],
                    exclude: ["test/engine/**"],
                    maxWorkers: 4,
                    isolate: false,
                    sequence: { groupOrder: 0 },
                },
            },
            {
                extends: true,
                test: {
                    name: "engine",
                    include: ["test/engine/**/*.test.ts"],
                    maxWorkers: 3,
                    testTimeout: 180_000,
                    sequence: { groupOrder: 1 },
                },
            },
        ],
    },
});
