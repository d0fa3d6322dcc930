/**
 * The fleet slows down on throttling for the whole budget (tools/fleet/budget.ts, runner.ts): a stack that failed on
 * a 429 pauses every worker's admissions for a full window and halves the budget; on a clock the test moves.
 */
import { describe, expect, it } from "vitest";
import { GraphBudget } from "../tools/fleet/budget";
import type { FleetStack } from "../tools/fleet/inventory";
import { plainProgress } from "../tools/fleet/progress";
import { runFleet, ThrottledError, type RunEvent } from "../tools/fleet/runner";

function fakeClock() {
    let now = 0;
    const sleeps: number[] = [];
    return { sleeps, now: () => now, sleep: (ms: number) => { sleeps.push(ms); now += ms; return Promise.resolve(); } };
}

const stacks = (names: readonly string[]): FleetStack[] =>
    names.map((stack) => ({ stack, file: `stacks/Pulumi.${stack}.yaml`, config: undefined, problems: [] }));

/** go-azure-sdk's text for a 429 its retries did not outlast, as the engine's error line carries it. */
const GRAPH_429 = "error: 1 error occurred: * Could not create application: unexpected status 429 (429 Too Many Requests) with error: " +
    "TooManyRequests: Please retry again later.";

describe("the Graph budget when Graph throttles", () => {
    it("admits nothing for a full window after a 429, then half as many writes per window", async () => {
        const clock = fakeClock();
        const budget = new GraphBudget(10, 150, clock);
        await budget.take(4);
        expect(budget.throttled()).toEqual({ resumesAt: 150_000, perWindow: 5 });
        const order: string[] = [];
        await Promise.all([
            budget.take(3).then(() => order.push(`a@${clock.now()}`)),
            budget.take(3).then(() => order.push(`b@${clock.now()}`)),
        ]);
        // Both wait for the pause; then 5 per window admits a (3) and not b (3 more), which waits until a leaves.
        expect(order).toEqual(["a@150000", "b@300001"]);
        expect(budget.currentPerWindow).toBe(5);
    });

    it("halves again on a second 429, never below one, and still admits a stack larger than the halved budget alone", async () => {
        const clock = fakeClock();
        const budget = new GraphBudget(3, 150, clock);
        expect(budget.throttled().perWindow).toBe(1);
        expect(budget.throttled().perWindow).toBe(1);
        await budget.take(3);
        expect(clock.now()).toBe(150_000);
    });
});

describe("the fleet runner when a stack meets throttling", () => {
    it("pauses the whole budget, for every worker, on a stack that failed on a 429; other failures do not", async () => {
        const clock = fakeClock();
        const budget = new GraphBudget(100, 150, clock);
        const events: RunEvent[] = [];
        const started: string[] = [];
        const runs = await runFleet(stacks(["b-dev", "a-dev", "c-dev", "d-dev"]), (stack) => {
            started.push(`${stack.stack}@${clock.now()}`);
            if (stack.stack === "a-dev") return Promise.reject(new Error("error: refused for another reason"));
            if (stack.stack === "b-dev") return Promise.reject(new ThrottledError("error: b-dev failed"));
            return Promise.resolve({});
        }, { concurrency: 2, budget, writesOf: () => 7, onEvent: (event) => events.push(event), now: clock.now });
        expect(runs.map((run) => run.result)).toEqual(["failed", "failed", "succeeded", "succeeded"]);
        // b's failure is throttling, a's is not: c and d, one on each worker, start only after the window.
        expect(started).toEqual(["b-dev@0", "a-dev@0", "c-dev@150000", "d-dev@150000"]);
        expect(events.filter((event) => event.kind === "throttled")).toEqual([{ kind: "throttled", stack: "b-dev", resumesAt: 150_000, perWindow: 50 }]);
    });

    it("reads throttling in the one-line reason too, and says so in the plain progress", async () => {
        const clock = fakeClock();
        const budget = new GraphBudget(100, 150, clock);
        const lines: string[] = [];
        const progress = plainProgress(2, { write: (text: string) => { lines.push(text); return true; } });
        await runFleet(stacks(["a-dev", "b-dev"]), (stack) => stack.stack === "a-dev" ? Promise.reject(new Error(GRAPH_429)) : Promise.resolve({}),
            { concurrency: 1, budget, writesOf: () => 7, onEvent: progress.onEvent, now: clock.now });
        expect(lines.filter((line) => line.startsWith("slow"))).toEqual([
            "slow   a-dev met throttling: no stack starts for a window, then 50 Graph writes per window\n"]);
        expect(clock.sleeps).toEqual([150_000]);
    });
});
