/**
 * How terraform-provider-azuread's Graph client retries: hashicorp/go-azure-sdk sdk/client/client.go (the
 * provider pins go-azure-sdk/sdk v0.20260212.1143955; read at commit e3c8617) on go-retryablehttp.
 * - Retried: 424 and 408; what the call's own RetryFunc accepts (the application's update after create retries
 *   404 and 409, applications.go applicationUpdateRetryFunc); then retryablehttp's DefaultRetryPolicy: 429, and
 *   0 or any 5xx but 501. Nothing else: a 404 without a RetryFunc fails at once (msgraph/client.go leaves
 *   defaultRetryFunctions commented out).
 * - No answer at all: a GET is retried unless the error is one extendedRetryPolicy gives up on (EOF, a refused
 *   dial...); any other method fails: "HTTP response was nil; connection may have been reset".
 * - The wait: Retry-After when it is whole seconds, else 1 s x 2^attempt, at most 61 s (retryableClient Backoff).
 * - How many: RetryMax 16, or, as every call has its resource's timeout as deadline, safeRetryNumber(time left):
 *   floor(log2(t + 1)) - 1 for t <= 63 s, else (t - 63) / 61 + 6. When they run out, the last answer is returned
 *   (RetryableErrorHandler) and reported as the error it is.
 */
import type { HttpAnswer } from "../shared/localAzure";

/** terraform-provider-azuread's timeouts for what the stand-in creates (application_resource.go and its siblings). */
export const CREATE_TIMEOUT_MS = 10 * 60_000;

export interface RetryClock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

export const realClock: RetryClock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

export type RetryFunc = (answer: HttpAnswer) => boolean;

/** The retries left for a deadline `ms` away: go-azure-sdk's safeRetryNumber. */
export function safeRetryNumber(ms: number): number {
    const seconds = ms / 1000;
    if (seconds <= 63) return Math.floor(Math.log2(seconds + 1)) - 1;
    return Math.floor((Math.floor(seconds) - 63) / 61) + 6;
}

/** The wait before the next attempt (attempt counts from 0, the first retry's wait). */
export function backoffMs(attempt: number, answer: HttpAnswer | undefined): number {
    const retryAfter = answer?.headers?.["retry-after"];
    // strconv.ParseInt: whole seconds only ("2.128", which Graph's docs show, falls through to the exponent).
    if (retryAfter !== undefined && /^-?\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    return Math.min(2 ** attempt * 1000, 61_000);
}

function retried(answer: HttpAnswer, retryFunc: RetryFunc | undefined): boolean {
    if (answer.status === 424 || answer.status === 408) return true;
    if (retryFunc?.(answer) === true) return true;
    return answer.status === 429 || answer.status === 0 || (answer.status >= 500 && answer.status !== 501);
}

/** Sends until an answer is not retried or the retries run out; `deadline` is the resource operation's (ms). */
export async function sendWithRetries(send: () => Promise<HttpAnswer>, request: { method: string; url: string },
    options: { retryFunc?: RetryFunc; deadline: number; clock?: RetryClock }): Promise<HttpAnswer> {
    const clock = options.clock ?? realClock;
    // Once per request, when its retryablehttp client is made (retryableClient): the retries do not shrink as it waits.
    const retryMax = Math.min(16, safeRetryNumber(options.deadline - clock.now()));
    for (let attempt = 0; ; attempt++) {
        let answer: HttpAnswer | undefined;
        try {
            answer = await send();
        } catch (error) {
            // Go reads a connection closed without an answer as EOF: extendedRetryPolicy does not retry it, and a
            // method other than GET is never retried without an answer.
            if (request.method !== "GET") {
                throw new Error(`${goMethod(request.method)} "${request.url}": HTTP response was nil; connection may have been reset`);
            }
            throw new Error(`${goMethod(request.method)} "${request.url}": EOF`, { cause: error });
        }
        if (!retried(answer, options.retryFunc)) return answer;
        if (attempt >= retryMax) return answer;
        await clock.sleep(backoffMs(attempt, answer));
    }
}

/** net/http writes methods in its errors as "Get", "Post", "Patch". */
function goMethod(method: string): string {
    return method.charAt(0) + method.slice(1).toLowerCase();
}
