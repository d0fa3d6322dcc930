/**
 * How pulumi-azure-native's ARM client retries: azure-sdk-for-go azcore's retry policy (sdk/azcore/runtime/
 * policy_retry.go) with the options pulumi-azure-native sets (provider/pkg/azure/client_azcore.go NewAzCoreClient:
 * RetryDelay 20 s, MaxRetryDelay 120 s; MaxRetries left at azcore's default, 3).
 * - Retried: 408, 429, 500, 502, 503, 504, and an error without an answer (a dropped connection), any method.
 * - The wait: the answer's Retry-After (retry-after-ms, x-ms-retry-after-ms, Retry-After) when there is one, and
 *   no retry at all when it is longer than MaxRetryDelay; else ((2^try) - 1) x RetryDelay x a jitter in
 *   [0.8, 1.3), at most MaxRetryDelay: 20 s, 60 s, 120 s.
 * - After the 4th try the last answer (or error) is returned, and reported by the caller.
 */
import type { HttpAnswer } from "../shared/localAzure";

export const MAX_RETRIES = 3;
const RETRY_DELAY_MS = 20_000;
const MAX_RETRY_DELAY_MS = 120_000;
const STATUS_CODES = [408, 429, 500, 502, 503, 504];

export interface RetryClock {
    sleep(ms: number): Promise<void>;
    random(): number;
}

const realClock: RetryClock = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), random: Math.random };

/** shared.RetryAfter: the milliseconds an answer asks to wait, or 0. */
export function retryAfterMs(answer: HttpAnswer): number {
    const headers = answer.headers ?? {};
    for (const [name, factor] of [["retry-after-ms", 1], ["x-ms-retry-after-ms", 1], ["retry-after", 1000]] as const) {
        const value = headers[name];
        if (value !== undefined && value !== "" && Number.isFinite(Number(value))) return Number(value) * factor;
    }
    const date = headers["retry-after"] === undefined ? NaN : Date.parse(headers["retry-after"]);
    return Number.isFinite(date) ? Math.max(0, date - Date.now()) : 0;
}

export async function sendWithRetries(send: () => Promise<HttpAnswer>, clock: RetryClock = realClock): Promise<HttpAnswer> {
    for (let tryNumber = 1; ; tryNumber++) {
        let answer: HttpAnswer | undefined;
        let failure: unknown;
        try {
            answer = await send();
        } catch (error) {
            failure = error;
        }
        const retriable = answer === undefined || STATUS_CODES.includes(answer.status);
        if (!retriable || tryNumber === MAX_RETRIES + 1) {
            if (answer === undefined) throw failure;
            return answer;
        }
        let delay = answer === undefined ? 0 : retryAfterMs(answer);
        if (delay <= 0) delay = Math.min((2 ** tryNumber - 1) * RETRY_DELAY_MS * (clock.random() / 2 + 0.8), MAX_RETRY_DELAY_MS);
        else if (delay > MAX_RETRY_DELAY_MS) return answer!;
        await clock.sleep(delay);
    }
}
