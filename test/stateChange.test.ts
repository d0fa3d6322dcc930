/**
 * The consistency poll of terraform-provider-azuread's credential creates: terraform-plugin-sdk/v2 helper/retry
 * StateChangeConf.WaitForStateContext with MinTimeout 1 s and ContinuousTargetOccurence 5
 * (localazure/providers/azuread/stateChange.ts), on a clock the test moves.
 */
import { describe, expect, it } from "vitest";
import type { RetryClock } from "../localazure/providers/azuread/retries";
import { goDuration, pollClock, pollForCredential, waitForState } from "../localazure/providers/azuread/stateChange";

function fakeClock(): RetryClock & { sleeps: number[] } {
    let now = 0;
    const sleeps: number[] = [];
    return { sleeps, now: () => now, sleep: (ms) => { sleeps.push(ms); now += ms; return Promise.resolve(); } };
}

/** A Graph that lists the credential (true) or not (false) on each read, in turn; past the script, it lists it. */
function scripted(script: readonly boolean[]) {
    const reads: number[] = [];
    return {
        reads,
        find: (clock: RetryClock) => () => {
            reads.push(clock.now());
            const listed = script[reads.length - 1] ?? true;
            return Promise.resolve(listed ? { keyId: "k" } : undefined);
        },
    };
}

describe("the credential poll (StateChangeConf, MinTimeout 1 s, five sightings)", () => {
    it("undisturbed: five reads, at once and then a second apart (100 ms raised to MinTimeout, not doubled while seen)", async () => {
        const clock = fakeClock();
        const graph = scripted([]);
        expect(await pollForCredential(graph.find(clock), 15 * 60_000, clock)).toEqual({ keyId: "k" });
        expect(graph.reads).toEqual([0, 1000, 2000, 3000, 4000]);
    });

    it("not listed at first: the wait doubles while unseen (1 s, 2 s), then stays while seen", async () => {
        const clock = fakeClock();
        const graph = scripted([false, false]);
        await pollForCredential(graph.find(clock), 15 * 60_000, clock);
        expect(graph.reads).toEqual([0, 1000, 3000, 5000, 7000, 9000, 11000]);
    });

    it("a miss between sightings is a not-found tick and does not start the count again: six reads, not ten", async () => {
        const clock = fakeClock();
        const graph = scripted([true, false, true, true, true]);
        await pollForCredential(graph.find(clock), 15 * 60_000, clock);
        expect(graph.reads).toHaveLength(6);
    });

    it("never listed: NotFoundError after 21 reads, the waits capped at 10 s", async () => {
        const clock = fakeClock();
        const graph = scripted(Array.from({ length: 30 }, () => false));
        await expect(pollForCredential(graph.find(clock), 15 * 60_000, clock)).rejects.toThrow(/^couldn't find resource \(21 retries\)$/);
        expect(graph.reads).toHaveLength(21);
        expect(clock.sleeps.slice(0, 7)).toEqual([0, 1000, 2000, 4000, 8000, 10000, 10000]);
    });

    it("past the create's timeout: the SDK's TimeoutError text", async () => {
        const clock = fakeClock();
        const graph = scripted(Array.from({ length: 30 }, () => false));
        await expect(pollForCredential(graph.find(clock), 20_000, clock)).rejects.toThrow(
            "timeout while waiting for state to become 'Done' (last state: 'Waiting', timeout: 20s)");
    });

    it("a failed read ends the wait with its error, after no more reads", async () => {
        const clock = fakeClock();
        let reads = 0;
        const failing = () => { reads++; return Promise.reject(new Error("unexpected status 503 (503 Service Unavailable)")); };
        await expect(pollForCredential(failing, 60_000, clock)).rejects.toThrow("unexpected status 503 (503 Service Unavailable)");
        expect(reads).toBe(1);
    });

    it("a state neither pending nor target: UnexpectedStateError as fmt prints a nil error", async () => {
        const clock = fakeClock();
        await expect(waitForState({
            pending: ["Waiting"], target: ["Done"], minTimeoutMs: 1000, continuousTargetOccurrence: 5, timeoutMs: 60_000,
            refresh: () => Promise.resolve({ result: {}, state: "Deleted" }),
        }, clock)).rejects.toThrow("unexpected state 'Deleted', wanted target 'Done'. last error: %!s(<nil>)");
    });

    it("Go's Duration text", () => {
        expect([250, 20_000, 90_500, 15 * 60_000, 2 * 3_600_000 + 60_000].map(goDuration)).toEqual(["250ms", "20s", "1m30.5s", "15m0s", "2h1m0s"]);
    });
});

describe("LOCAL_AZURE_POLL_SCALE", () => {
    it("unset: Go's own waits; 0: the same reads with no sleep, the deadline still counting the waits' whole length", async () => {
        const base = fakeClock();
        expect(pollClock({}, base)).toBe(base);
        const scaled = pollClock({ LOCAL_AZURE_POLL_SCALE: "0" }, base);
        const graph = scripted([]);
        await pollForCredential(graph.find(scaled), 15 * 60_000, scaled);
        expect(graph.reads).toEqual([0, 1000, 2000, 3000, 4000]);
        expect(base.sleeps).toEqual([]);
    });

    it("a half: every sleep half as long", async () => {
        const base = fakeClock();
        const scaled = pollClock({ LOCAL_AZURE_POLL_SCALE: "0.5" }, base);
        await pollForCredential(scripted([]).find(scaled), 15 * 60_000, scaled);
        expect(base.sleeps).toEqual([0, 500, 500, 500, 500]);
    });

    it("refuses what is not a number of 0 or more", () => {
        expect(() => pollClock({ LOCAL_AZURE_POLL_SCALE: "fast" }, fakeClock())).toThrow('LOCAL_AZURE_POLL_SCALE: "fast" is not a number of 0 or more');
        expect(() => pollClock({ LOCAL_AZURE_POLL_SCALE: "-1" }, fakeClock())).toThrow('LOCAL_AZURE_POLL_SCALE: "-1" is not a number of 0 or more');
    });
});
