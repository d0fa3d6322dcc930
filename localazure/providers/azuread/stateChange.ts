/**
 * terraform-plugin-sdk/v2 `helper/retry` StateChangeConf.WaitForStateContext, which terraform-provider-azuread's
 * credential creates use to wait until Graph lists what they just added ("Wait for the credential to appear in the
 * application manifest, this can take several minutes": application_password_resource.go,
 * application_certificate_resource.go, application_federated_identity_credential_resource.go; the loop read in
 * helper/retry/state.go as vendored copies keep it, its behaviour pinned by state_test.go at 556af8b).
 *
 * The loop, rule by rule:
 * - The first refresh comes at once; the wait is then 100 ms, doubled after each refresh while the target has not
 *   been seen (targetOccurence == 0), then bounded: at least MinTimeout, at most 10 s.
 * - A refresh error ends the wait with that error.
 * - A nil result ("Waiting" with no object, as the azuread refreshes answer while the credential is not listed) is
 *   a not-found tick: after NotFoundChecks (20) of them in a row, NotFoundError. It does not reset the target count:
 *   only a non-nil result in a Pending state does. So five sightings need not be consecutive reads.
 * - A result in a Target state counts; ContinuousTargetOccurence of them ends the wait with that result.
 * - Past Timeout: TimeoutError, "timeout while waiting for state to become 'Done' (last state: ..., timeout: ...)".
 */
import type { RetryClock } from "./retries";

export interface Refreshed<T> {
    /** The object found, or undefined for Go's nil. */
    readonly result: T | undefined;
    readonly state: string;
}

export interface StateChangeConf<T> {
    readonly pending: readonly string[];
    readonly target: readonly string[];
    readonly refresh: () => Promise<Refreshed<T>>;
    readonly timeoutMs: number;
    readonly minTimeoutMs: number;
    readonly continuousTargetOccurrence: number;
    readonly notFoundChecks?: number;
}

export class WaitError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "WaitError";
    }
}

/** The result of the refresh that reached the target the last time it had to; errors as the SDK words them. */
export async function waitForState<T>(conf: StateChangeConf<T>, clock: RetryClock): Promise<T | undefined> {
    const notFoundChecks = conf.notFoundChecks ?? 20;
    const deadline = clock.now() + conf.timeoutMs;
    let wait = 0;
    let notFoundTicks = 0;
    let targetOccurrence = 0;
    let lastState = "";
    for (;;) {
        await clock.sleep(wait);
        if (wait === 0) wait = 100;
        if (clock.now() > deadline) throw new WaitError(timeoutText(conf, lastState));
        const { result, state } = await conf.refresh();
        lastState = state;
        if (result === undefined) {
            notFoundTicks++;
            if (notFoundTicks > notFoundChecks) throw new WaitError(`couldn't find resource (${notFoundTicks} retries)`);
        } else {
            notFoundTicks = 0;
            let found = false;
            if (conf.target.includes(state)) {
                found = true;
                targetOccurrence++;
                if (targetOccurrence === conf.continuousTargetOccurrence) return result;
            }
            if (conf.pending.includes(state)) {
                found = true;
                targetOccurrence = 0;
            }
            if (!found && conf.pending.length > 0) {
                throw new WaitError(`unexpected state '${state}', wanted target '${conf.target.join(", ")}'. last error: %!s(<nil>)`);
            }
        }
        if (targetOccurrence === 0) wait *= 2;
        wait = Math.min(Math.max(wait, conf.minTimeoutMs), 10_000);
    }
}

function timeoutText(conf: StateChangeConf<unknown>, lastState: string): string {
    const extra = [...(lastState === "" ? [] : [`last state: '${lastState}'`]), `timeout: ${goDuration(conf.timeoutMs)}`];
    return `timeout while waiting for state to become '${conf.target.join(", ")}' (${extra.join(", ")})`;
}

/** Go's time.Duration.String for whole milliseconds: "10m0s", "1m30.5s", "250ms". */
export function goDuration(ms: number): string {
    if (ms < 1000) return `${ms}ms`;
    const minutes = Math.floor(ms / 60_000);
    const seconds = (ms % 60_000) / 1000;
    const hours = Math.floor(minutes / 60);
    const text = `${seconds}s`;
    if (hours > 0) return `${hours}h${minutes % 60}m${text}`;
    return minutes > 0 ? `${minutes}m${text}` : text;
}

/**
 * The clock of the stand-ins' consistency waits: Go's own by default, or every wait times `scale`
 * (LOCAL_AZURE_POLL_SCALE; the engine tests use 0, so that a poll makes all its reads without its seconds of sleep).
 */
export function pollClock(env: NodeJS.ProcessEnv, base: RetryClock): RetryClock {
    const text = env["LOCAL_AZURE_POLL_SCALE"];
    const scale = text === undefined || text === "" ? 1 : Number(text);
    if (!Number.isFinite(scale) || scale < 0) {
        throw new Error(`LOCAL_AZURE_POLL_SCALE: ${JSON.stringify(text)} is not a number of 0 or more`);
    }
    if (scale === 1) return base;
    let skipped = 0;
    return {
        // The deadline keeps Go's time: a scaled wait still counts its whole length against the timeout.
        now: () => base.now() + skipped,
        sleep: async (ms) => {
            skipped += ms * (1 - scale);
            if (scale > 0) await base.sleep(ms * scale);
        },
    };
}

/** Each credential resource's Create timeout (their `Timeouts.Create`), against which its poll's Timeout runs. */
export const CREDENTIAL_CREATE_TIMEOUT_MS = {
    password: 15 * 60_000,
    certificate: 10 * 60_000,
    federatedIdentityCredential: 15 * 60_000,
} as const;

/**
 * The wait every credential create makes after Graph accepted it: Pending "Waiting", Target "Done", MinTimeout 1 s,
 * ContinuousTargetOccurence 5; `find` answers the credential, or undefined ("Waiting", nil) while it is not listed,
 * and throws when the read fails ("Error"). Undisturbed, that is five reads 0, 1, 2, 3 and 4 s after the write.
 */
export function pollForCredential<T>(find: () => Promise<T | undefined>, timeoutMs: number, clock: RetryClock): Promise<T | undefined> {
    return waitForState<T>({
        pending: ["Waiting"],
        target: ["Done"],
        minTimeoutMs: 1000,
        continuousTargetOccurrence: 5,
        timeoutMs,
        refresh: async () => {
            const found = await find();
            return found === undefined ? { result: undefined, state: "Waiting" } : { result: found, state: "Done" };
        },
    }, clock);
}
