/**
 * The `npm run local-azure` flags that switch misbehaviour on (README "The local Azure misbehaving"):
 *   --graph-throttle-scale N   Graph's write quotas divided by N (1: Graph's own 3,000 per 150 s per app)
 *   --arm-writes SIZE,REFILL   ARM's subscription write bucket (Azure's: 200,10)
 *   --outage SERVICES:ANSWER   graph, arm or graph,arm : 500, 503 or drop; for --outage-requests N,
 *                              --outage-seconds N or --outage-fraction F (0-1), else until stopped;
 *                              a 503 says --retry-after N (1 by default)
 *   --replication-delay N      new applications (by ID), new principals (to ARM without principalType) and
 *                              new passwords (at the token endpoint) unseen for N seconds
 *   --sp-replication-delay N   new service principals unseen by ID for N seconds
 */
import type { MisbehaviourOptions, Outage, OutageService } from "./options";

export const MISBEHAVIOUR_FLAGS = {
    "graph-throttle-scale": { type: "string" }, "arm-writes": { type: "string" }, outage: { type: "string" },
    "outage-requests": { type: "string" }, "outage-seconds": { type: "string" }, "outage-fraction": { type: "string" },
    "retry-after": { type: "string" }, "replication-delay": { type: "string" }, "sp-replication-delay": { type: "string" },
} as const;

export type MisbehaviourFlags = Partial<Record<keyof typeof MISBEHAVIOUR_FLAGS, string | undefined>>;

/** The knobs the flags ask for; a flag's bad value throws naming the flag, the value and what is allowed. */
export function misbehaviourFromFlags(flags: MisbehaviourFlags): MisbehaviourOptions {
    const number = (flag: keyof MisbehaviourFlags, allowed: string, valid: (value: number) => boolean): number | undefined => {
        const raw = flags[flag];
        if (raw === undefined) return undefined;
        const value = Number(raw);
        if (raw.trim() === "" || !Number.isFinite(value) || !valid(value)) {
            throw new Error(`--${flag} is ${JSON.stringify(raw)}; expected ${allowed}`);
        }
        return value;
    };
    const positive = (value: number) => value > 0;
    const scale = number("graph-throttle-scale", "a number above 0 (1: Graph's own quotas)", positive);
    let armThrottling: MisbehaviourOptions["armThrottling"];
    if (flags["arm-writes"] !== undefined) {
        const match = /^(\d+),(\d+(?:\.\d+)?)$/.exec(flags["arm-writes"]);
        if (match === null || Number(match[1]) < 1 || Number(match[2]) <= 0) {
            throw new Error(`--arm-writes is ${JSON.stringify(flags["arm-writes"])}; expected SIZE,REFILL_PER_SECOND such as 200,10`);
        }
        armThrottling = { size: Number(match[1]), refillPerSecond: Number(match[2]) };
    }
    const delay = number("replication-delay", "seconds, above 0", positive);
    const spDelay = number("sp-replication-delay", "seconds, above 0", positive);
    const replication = {
        ...(delay === undefined ? {} : { applicationSeconds: delay, principalSeconds: delay, passwordSeconds: delay }),
        ...(spDelay === undefined ? {} : { servicePrincipalSeconds: spDelay }),
    };
    return {
        ...(scale === undefined ? {} : { graphThrottling: { scale } }),
        ...(armThrottling === undefined ? {} : { armThrottling }),
        ...(flags.outage === undefined ? {} : { outage: outageFrom(flags, number) }),
        ...(Object.keys(replication).length === 0 ? {} : { replication }),
    };
}

function outageFrom(flags: MisbehaviourFlags,
    number: (flag: keyof MisbehaviourFlags, allowed: string, valid: (value: number) => boolean) => number | undefined): Outage {
    const raw = flags.outage!;
    const match = /^((?:graph|arm)(?:,(?:graph|arm))?):(500|503|drop)$/.exec(raw);
    if (match === null) throw new Error(`--outage is ${JSON.stringify(raw)}; expected SERVICES:ANSWER, services graph, arm or graph,arm and answer 500, 503 or drop`);
    const requests = number("outage-requests", "a whole number above 0", (value) => Number.isInteger(value) && value > 0);
    const seconds = number("outage-seconds", "seconds, above 0", (value) => value > 0);
    const fraction = number("outage-fraction", "a share above 0 and at most 1", (value) => value > 0 && value <= 1);
    const retryAfterSeconds = number("retry-after", "whole seconds, 0 or more", (value) => Number.isInteger(value) && value >= 0);
    return {
        services: match[1]!.split(",") as OutageService[],
        answer: match[2] === "drop" ? "drop" : Number(match[2]) as 500 | 503,
        ...(requests === undefined ? {} : { requests }), ...(seconds === undefined ? {} : { seconds }),
        ...(fraction === undefined ? {} : { fraction }), ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    };
}
