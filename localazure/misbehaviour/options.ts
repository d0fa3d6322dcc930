/**
 * What the local Azure can be asked to get wrong, and Azure's own numbers for it. Everything is off unless asked
 * for: startLocalAzure({ misbehaviour }), `npm run local-azure -- --graph-throttle ...`, or LocalAzure.misbehave().
 */

/**
 * Microsoft Graph's write quota for identity and access ("Microsoft Graph service-specific throttling limits",
 * learn.microsoft.com/graph/throttling-limits, Identity and access service limits): a token bucket per
 * application+tenant pair of 3,000 writes per 2 minutes 30 seconds, and per tenant of 18,000 per 5 minutes. Every
 * POST, PATCH, PUT and DELETE on an identity path costs 1 write.
 */
export const GRAPH_APP_TENANT_WRITES = { size: 3000, seconds: 150 } as const;
export const GRAPH_TENANT_WRITES = { size: 18000, seconds: 300 } as const;

/**
 * Azure Resource Manager's subscription writes since 2024 ("Understand how Azure Resource Manager throttles
 * requests", learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling, Regional
 * throttling and token bucket algorithm): a bucket of 200 refilling at 10 per second, per subscription and principal.
 */
export const ARM_SUBSCRIPTION_WRITES = { size: 200, refillPerSecond: 10 } as const;

export interface GraphThrottling {
    /** Divides both quotas' sizes and windows: 1 is Graph's numbers, 1000 makes 3 writes per 0.15 s per app. */
    readonly scale?: number;
    /** The app+tenant bucket, when not Graph's (scale aside): its size and the seconds it takes to refill. */
    readonly appTenant?: { readonly size: number; readonly seconds: number };
    readonly tenant?: { readonly size: number; readonly seconds: number };
}

export interface ArmThrottling {
    readonly size?: number;
    readonly refillPerSecond?: number;
}

export type OutageService = "graph" | "arm";

export interface Outage {
    readonly services: readonly OutageService[];
    /** 500 (no Retry-After) or 503 (with Retry-After); or "drop": the connection closes without an answer. */
    readonly answer: 500 | 503 | "drop";
    /** Seconds in a 503's Retry-After; 1 by default. */
    readonly retryAfterSeconds?: number;
    /** The next N matching requests fail, then the service answers again. */
    readonly requests?: number;
    /** Every matching request fails for this many seconds from when the outage is set. */
    readonly seconds?: number;
    /** This share of matching requests fails, spread evenly: 0.5 fails the 2nd, 4th, 6th, ... */
    readonly fraction?: number;
}

export interface Replication {
    /** A new application answers Request_ResourceNotFound when addressed by ID for this long. */
    readonly applicationSeconds?: number;
    /** The same for a new service principal (which terraform-provider-azuread does not wait out: see README). */
    readonly servicePrincipalSeconds?: number;
    /** ARM answers PrincipalNotFound for a new service principal, in a role assignment without principalType, for this long. */
    readonly principalSeconds?: number;
    /** A new password (AADSTS7000215) or certificate (AADSTS700027) is refused at the token endpoint for this long. */
    readonly passwordSeconds?: number;
}

export interface MisbehaviourOptions {
    readonly graphThrottling?: GraphThrottling;
    readonly armThrottling?: ArmThrottling;
    readonly outage?: Outage;
    readonly replication?: Replication;
}
