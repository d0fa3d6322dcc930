/**
 * The provider stand-ins retry as the real providers' clients do: terraform-provider-azuread's go-azure-sdk client
 * (localazure/providers/azuread/retries.ts) and pulumi-azure-native's azcore retry policy
 * (localazure/providers/azure-native/retries.ts). Exact attempts and waits, on a clock that never sleeps.
 */
import { describe, expect, it } from "vitest";
import { backoffMs, safeRetryNumber, sendWithRetries as goAzureSdk } from "../localazure/providers/azuread/retries";
import { APPLICATION_UPDATE_RETRY } from "../localazure/providers/azuread/graph";
import { sendWithRetries as azcore } from "../localazure/providers/azure-native/retries";
import type { HttpAnswer } from "../localazure/providers/shared/localAzure";

/** Answers in turn (the last one again when they run out); a thrown Error stands for a connection without answer. */
function scripted(...answers: (HttpAnswer | Error)[]) {
    let sent = 0;
    return {
        get sent() { return sent; },
        send: () => {
            const next = answers[Math.min(sent, answers.length - 1)]!;
            sent += 1;
            return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
        },
    };
}

function fakeClock() {
    const slept: number[] = [];
    let now = 0;
    return { slept, now: () => now, sleep: (ms: number) => { slept.push(ms); now += ms; return Promise.resolve(); }, random: () => 0 };
}

const answer = (status: number, headers: Record<string, string> = {}): HttpAnswer => ({ status, body: undefined, headers });
const PATCH = { method: "PATCH", url: "https://graph.microsoft.com/v1.0/applications/x" };
const TEN_MINUTES = 600_000;

describe("terraform-provider-azuread's client (go-azure-sdk)", () => {
    it("retries as many times as the deadline allows: safeRetryNumber", () => {
        expect([safeRetryNumber(600_000), safeRetryNumber(63_000), safeRetryNumber(7_000), safeRetryNumber(1_000), safeRetryNumber(124_000)])
            .toEqual([14, 5, 2, 0, 7]);
    });

    it("waits Retry-After in whole seconds, else 1 s x 2^attempt up to 61 s", () => {
        expect([backoffMs(0, answer(429, { "retry-after": "3" })), backoffMs(2, answer(429, { "retry-after": "2.128" })),
            backoffMs(0, answer(503)), backoffMs(3, answer(503)), backoffMs(6, answer(503))]).toEqual([3000, 4000, 1000, 8000, 61000]);
    });

    it("waits out 429s by their Retry-After, then returns the answer", async () => {
        const server = scripted(answer(429, { "retry-after": "1" }), answer(429, { "retry-after": "1" }), answer(204));
        const clock = fakeClock();
        expect((await goAzureSdk(server.send, PATCH, { deadline: TEN_MINUTES, clock })).status).toBe(204);
        expect([server.sent, clock.slept]).toEqual([3, [1000, 1000]]);
    });

    it("retries a 404 only for a call that asks to (the update proving a new application exists)", async () => {
        const plain = scripted(answer(404), answer(204));
        expect((await goAzureSdk(plain.send, PATCH, { deadline: TEN_MINUTES, clock: fakeClock() })).status).toBe(404);
        expect(plain.sent).toBe(1);
        const proving = scripted(answer(404), answer(404), answer(409), answer(204));
        const clock = fakeClock();
        expect((await goAzureSdk(proving.send, PATCH, { retryFunc: APPLICATION_UPDATE_RETRY, deadline: TEN_MINUTES, clock })).status).toBe(204);
        expect([proving.sent, clock.slept]).toEqual([4, [1000, 2000, 4000]]);
    });

    it("gives up when the deadline's retries are spent, returning the last 503", async () => {
        const server = scripted(answer(503));
        const clock = fakeClock();
        expect((await goAzureSdk(server.send, PATCH, { deadline: 7_000, clock })).status).toBe(503);
        // RetryMax for 7 s is 2, fixed when the request starts.
        expect([server.sent, clock.slept]).toEqual([3, [1000, 2000]]);
    });

    it("never retries a write that got no answer; a GET's EOF neither", async () => {
        const post = scripted(new Error("fetch failed"), answer(201));
        await expect(goAzureSdk(post.send, { method: "POST", url: "https://graph.microsoft.com/v1.0/applications" }, { deadline: TEN_MINUTES, clock: fakeClock() }))
            .rejects.toThrow('Post "https://graph.microsoft.com/v1.0/applications": HTTP response was nil; connection may have been reset');
        const get = scripted(new Error("fetch failed"), answer(200));
        await expect(goAzureSdk(get.send, { method: "GET", url: "https://graph.microsoft.com/v1.0/applications/x" }, { deadline: TEN_MINUTES, clock: fakeClock() }))
            .rejects.toThrow('Get "https://graph.microsoft.com/v1.0/applications/x": EOF');
        expect([post.sent, get.sent]).toEqual([1, 1]);
    });

    it("does not retry other client errors", async () => {
        const server = scripted(answer(400), answer(204));
        expect((await goAzureSdk(server.send, PATCH, { deadline: TEN_MINUTES, clock: fakeClock() })).status).toBe(400);
        expect(server.sent).toBe(1);
    });
});

describe("pulumi-azure-native's client (azcore retry policy, RetryDelay 20 s, MaxRetryDelay 120 s)", () => {
    it("tries 4 times in all, waiting each Retry-After, and returns the last answer", async () => {
        const server = scripted(answer(503, { "retry-after": "1" }));
        const clock = fakeClock();
        expect((await azcore(server.send, clock)).status).toBe(503);
        expect([server.sent, clock.slept]).toEqual([4, [1000, 1000, 1000]]);
    });

    it("backs off ((2^try) - 1) x 20 s x jitter (0.8 here) without Retry-After", async () => {
        const server = scripted(answer(500), answer(429), answer(201));
        const clock = fakeClock();
        expect((await azcore(server.send, clock)).status).toBe(201);
        expect([server.sent, clock.slept]).toEqual([3, [16_000, 48_000]]);
    });

    it("does not retry when Retry-After exceeds MaxRetryDelay, nor a 404 or 400", async () => {
        for (const first of [answer(429, { "retry-after": "121" }), answer(404), answer(400)]) {
            const server = scripted(first, answer(200));
            expect((await azcore(server.send, fakeClock())).status).toBe(first.status);
            expect(server.sent).toBe(1);
        }
    });

    it("retries a connection without an answer, any method", async () => {
        const server = scripted(new Error("fetch failed"), answer(201));
        const clock = fakeClock();
        expect((await azcore(server.send, clock)).status).toBe(201);
        expect([server.sent, clock.slept]).toEqual([2, [16_000]]);
    });
});
