/**
 * One budget of Microsoft Graph writes for a whole fleet run, shared by its workers.
 *
 * Graph throttles writes per app and tenant (the deployer is one app: 3,000 requests per 150 s) and per tenant
 * (18,000 per 5 minutes, whoever writes): Microsoft Graph throttling limits, "Identity and access service limits"
 * (learn.microsoft.com/graph/throttling-limits). Past them Graph answers 429 with Retry-After, and the azuread
 * provider's retries turn a burst into slow, failing deploys. So the fleet runner admits a stack's `up` only once the
 * writes that stack may make fit the budget, and a CI matrix splits the same budget between its parallel jobs.
 *
 * What a stack may write: its identities' first deploy is the most (later ups write only what changed; previews and
 * plans write nothing). Per identity, as terraform-provider-azuread v3 does it (application_resource.go,
 * service_principal_resource.go, application_password_resource.go; the stand-ins in localazure/providers/azuread
 * make the same calls, and test/engine/fleet.test.ts counts them in the local Graph's request log):
 * - the application: create, then two display-name updates that prove it exists ("Attempt to patch the newly
 *   created application"), then one write for each owner past the 20 the create binds: 3 + extra owners;
 * - the service principal: create, an update that proves it exists, the extra owners: 2 + extra owners;
 * - each of the two staggered credentials: a secret's `addPassword`, or a certificate's update of keyCredentials.
 * The deployer is always among the owners the program sets (infra/program.ts), so the provider never removes it.
 *
 * When Graph throttles anyway (other tools share the deployer's quota; a stack of the run failed on a 429, which
 * the providers' own retries did not outlast), the whole budget slows down, for every worker at once: no stack is
 * admitted until a full window has passed (Graph's quotas are token buckets refilled over the window), and the
 * budget is halved for the rest of the run. Per worker it would not help: the quota is the deployer's, not a worker's.
 */
import type { StackConfig } from "../../infra/config";

export const GRAPH_WRITE_WINDOW_SECONDS = 150;
/** Per app and tenant, which is what the deployer is: the binding limit for a fleet run. */
export const GRAPH_WRITES_PER_WINDOW = 3000;
/** What a fleet run takes by default: four fifths, leaving room for people and other tools using the same deployer. */
export const DEFAULT_FLEET_WRITES_PER_WINDOW = 2400;

const OWNERS_BOUND_AT_CREATE = 20;
const STAGGERED_CREDENTIALS = 2;

/** The most Graph writes a stack's `up` can make: its identities' first deploy. */
export function stackWriteCost(config: StackConfig): number {
    if (!config.appRegistration) return 0;
    const identities = Math.max(1, config.developers.length);
    // The create binds the deployer and 19 others (owners.ts initialOwners); the rest are added one by one.
    const others = config.owners.filter((owner) => owner.toLowerCase() !== config.deployerObjectId?.toLowerCase());
    const extraOwners = Math.max(0, others.length - (OWNERS_BOUND_AT_CREATE - 1));
    const application = 3 + extraOwners;
    const servicePrincipal = 2 + extraOwners;
    // Two staggered credentials, secrets or certificates; a move to certificates keeps both secrets beside them.
    const credentials = STAGGERED_CREDENTIALS * (config.keepSecretsUntilSwitched ? 2 : 1);
    return identities * (application + servicePrincipal + credentials);
}

/**
 * Graph's own measure: the writes within any window of 150 s. A stack is admitted when its writes, added to those
 * admitted within the last window, stay within the budget; otherwise it waits until enough of them leave the window.
 * (A token bucket would let twice its size through in one window: full at the start, refilled by the end.) Callers
 * are served in the order they asked, so no stack starves behind smaller ones.
 */
export class GraphBudget {
    private admitted: { at: number; writes: number }[] = [];
    private queue: Promise<void> = Promise.resolve();
    private limit: number;
    private pausedUntil = 0;

    constructor(
        readonly perWindow: number = DEFAULT_FLEET_WRITES_PER_WINDOW,
        private readonly windowSeconds: number = GRAPH_WRITE_WINDOW_SECONDS,
        private readonly clock: { now(): number; sleep(ms: number): Promise<void> } = realClock,
    ) {
        if (!Number.isInteger(perWindow) || perWindow < 1) {
            throw new Error(`a Graph budget of ${perWindow} writes; expected a whole number, 1 or more`);
        }
        this.limit = perWindow;
    }

    /** The writes admitted per window now: `perWindow`, halved by each throttling. */
    get currentPerWindow(): number {
        return this.limit;
    }

    /**
     * Graph answered 429: admit nothing for a full window from now, then half as much per window as before (never
     * less than one stack: a stack asking more than the halved budget is admitted alone in its window).
     */
    throttled(): { readonly resumesAt: number; readonly perWindow: number } {
        this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + this.windowSeconds * 1000);
        this.limit = Math.max(1, Math.floor(this.limit / 2));
        return { resumesAt: this.pausedUntil, perWindow: this.limit };
    }

    /** Resolves once `writes` fit the window; refuses at once a stack that could never fit. */
    take(writes: number): Promise<void> {
        if (writes > this.perWindow) {
            return Promise.reject(new Error(`a stack that may make ${writes} Graph writes cannot fit a budget of ` +
                `${this.perWindow} per ${this.windowSeconds} s; expected a larger --graph-budget`));
        }
        const turn = this.queue.then(async () => {
            for (;;) {
                const now = this.clock.now();
                if (now < this.pausedUntil) {
                    await this.clock.sleep(this.pausedUntil - now);
                    continue;
                }
                const windowMs = this.windowSeconds * 1000;
                this.admitted = this.admitted.filter((entry) => entry.at > now - windowMs);
                let used = this.admitted.reduce((sum, entry) => sum + entry.writes, 0);
                const limit = Math.max(this.limit, writes);
                if (used + writes <= limit) {
                    this.admitted.push({ at: now, writes });
                    return;
                }
                // Wait until the oldest admissions that must leave for these writes to fit have left.
                let leaves = now;
                for (const entry of this.admitted) {
                    used -= entry.writes;
                    leaves = entry.at + windowMs;
                    if (used + writes <= limit) break;
                }
                await this.clock.sleep(Math.max(1, leaves - now + 1));
            }
        });
        this.queue = turn.catch(() => undefined);
        return turn;
    }
}

const realClock = {
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};
