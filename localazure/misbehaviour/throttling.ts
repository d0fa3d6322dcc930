/**
 * Graph's and ARM's write throttling, with their documented answers (numbers and sources in ./options.ts).
 */
import { randomUUID } from "node:crypto";
import { armHeaders } from "../arm/errors";
import { graphHeaders } from "../graph/errors";
import type { StandInRequest, StandInResponse } from "../standin/server";
import type { AccessTokenClaims } from "../tokens";
import { ARM_SUBSCRIPTION_WRITES, GRAPH_APP_TENANT_WRITES, GRAPH_TENANT_WRITES, type ArmThrottling, type GraphThrottling } from "./options";
import { TokenBucket } from "./tokenBucket";

const WRITES = new Set(["POST", "PATCH", "PUT", "DELETE"]);

export class GraphWriteThrottle {
    private readonly buckets = new Map<string, TokenBucket>();
    private readonly appTenant: { size: number; seconds: number };
    private readonly tenant: { size: number; seconds: number };

    constructor(options: GraphThrottling) {
        const scale = options.scale ?? 1;
        const scaled = (quota: { size: number; seconds: number }) =>
            ({ size: Math.max(1, Math.round(quota.size / scale)), seconds: quota.seconds / scale });
        this.appTenant = options.appTenant ?? scaled(GRAPH_APP_TENANT_WRITES);
        this.tenant = options.tenant ?? scaled(GRAPH_TENANT_WRITES);
    }

    /** A 429 for a write past either quota; undefined lets it through. */
    check(request: StandInRequest, caller: AccessTokenClaims | undefined, now: number): StandInResponse | undefined {
        if (!WRITES.has(request.method) || caller === undefined) return undefined;
        // Graph's answer names the first limit reached: the app's own share of the tenant, then the tenant's.
        const limits = [
            { scope: `Tenant_Application/Write/${caller.appid}/${caller.tid}`, quota: this.appTenant },
            { scope: `Tenant/Write/${caller.appid}/${caller.tid}`, quota: this.tenant },
        ];
        for (const { scope, quota } of limits) {
            const key = scope.startsWith("Tenant_Application") ? scope : `Tenant/${caller.tid}`;
            const bucket = this.bucket(key, quota, now);
            const taken = bucket.take(now);
            if (!taken.taken) return graphThrottled(request, scope, taken.retryAfterSeconds);
        }
        return undefined;
    }

    private bucket(key: string, quota: { size: number; seconds: number }, now: number): TokenBucket {
        let bucket = this.buckets.get(key);
        if (bucket === undefined) {
            bucket = new TokenBucket(quota.size, quota.size / quota.seconds, now);
            this.buckets.set(key, bucket);
        }
        return bucket;
    }
}

/**
 * Graph's 429: the body of "Microsoft Graph throttling guidance" (learn.microsoft.com/graph/throttling, Sample
 * response), Retry-After in whole seconds, and the identity service's x-ms-throttle-scope and
 * x-ms-throttle-information (throttling-limits, Identity and access service limits, Throttled responses).
 */
function graphThrottled(request: StandInRequest, scope: string, retryAfterSeconds: number): StandInResponse {
    const requestId = randomUUID();
    return {
        status: 429,
        headers: {
            ...graphHeaders(request, requestId), "retry-after": String(retryAfterSeconds),
            "x-ms-throttle-scope": scope, "x-ms-throttle-information": "WriteLimitExceeded",
        },
        body: JSON.stringify({
            error: {
                code: "TooManyRequests", message: "Please retry again later.",
                innerError: { code: "429", date: new Date().toISOString().replace(/\.\d+Z$/, ""), message: "Please retry after",
                    "request-id": requestId, status: "429" },
            },
        }),
    };
}

/** ARM's subscription buckets for writes (PUT, PATCH, POST) and deletes, per subscription and principal. */
export class ArmWriteThrottle {
    private readonly buckets = new Map<string, TokenBucket>();
    private readonly size: number;
    private readonly refillPerSecond: number;

    constructor(options: ArmThrottling) {
        this.size = options.size ?? ARM_SUBSCRIPTION_WRITES.size;
        this.refillPerSecond = options.refillPerSecond ?? ARM_SUBSCRIPTION_WRITES.refillPerSecond;
    }

    /** The answer for a throttled write, or the header to add to one let through (the writes remaining). */
    check(request: StandInRequest, caller: AccessTokenClaims | undefined, now: number):
        { throttled: StandInResponse } | { headers: Record<string, string> } | undefined {
        if (!WRITES.has(request.method) || caller === undefined) return undefined;
        const subscription = /^\/subscriptions\/([^/]+)/i.exec(request.url.pathname)?.[1];
        if (subscription === undefined) return undefined;
        const kind = request.method === "DELETE" ? "deletes" : "writes";
        const key = `${subscription.toLowerCase()}/${caller.oid}/${kind}`;
        let bucket = this.buckets.get(key);
        if (bucket === undefined) {
            bucket = new TokenBucket(this.size, this.refillPerSecond, now);
            this.buckets.set(key, bucket);
        }
        const taken = bucket.take(now);
        const header = `x-ms-ratelimit-remaining-subscription-${kind}`;
        if (taken.taken) return { headers: { [header]: String(taken.remaining) } };
        return { throttled: armThrottled(subscription, caller.oid, kind, taken.retryAfterSeconds, header) };
    }
}

/**
 * ARM's 429 (request-limits-and-throttling, Error code: "429 Too many requests ... includes a Retry-After value,
 * which specifies the number of seconds"), with the remaining count at 0. The code SubscriptionRequestsThrottled is
 * ARM's (MicrosoftDocs/azure-docs#105248 quotes one); the message's wording is modelled on it, not copied from Azure.
 */
function armThrottled(subscription: string, oid: string, kind: string, retryAfterSeconds: number, header: string): StandInResponse {
    const operation = kind === "deletes" ? "delete" : "write";
    return {
        status: 429,
        headers: { ...armHeaders(), "retry-after": String(retryAfterSeconds), [header]: "0" },
        body: JSON.stringify({
            error: {
                code: "SubscriptionRequestsThrottled",
                message: `Number of '${operation}' requests for subscription '${subscription}' actor '${oid}' exceeded. ` +
                    `Please try again after '${retryAfterSeconds}' seconds after additional tokens are available. ` +
                    "Refer to https://aka.ms/arm-throttling",
            },
        }),
    };
}
