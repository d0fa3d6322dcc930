/**
 * The local Azure misbehaving on demand: throttling, outages and replication delay in front of the services, set
 * by a test or `npm run local-azure` flags (./options.ts). Off by default: without knobs the router never calls in.
 */
import { armErrorResponse } from "../arm/errors";
import { principalNotFound } from "../arm/roleAssignments";
import { graphErrorResponse, notFound } from "../graph/errors";
import type { StandInRequest, StandInResponse } from "../standin/server";
import type { State } from "../state";
import type { TokenIssuer } from "../tokens";
import type { MisbehaviourOptions } from "./options";
import { OutageWindow } from "./outage";
import { ReplicationLag } from "./replication";
import { ArmWriteThrottle, GraphWriteThrottle } from "./throttling";

export type { MisbehaviourOptions } from "./options";

/** What to do before the service answers: answer instead of it, or add headers to its answer. */
export interface Intervention {
    readonly answer?: StandInResponse;
    readonly headers?: Readonly<Record<string, string>>;
    /** The certificates this request would add (a PATCH of an application's keyCredentials). */
    readonly newKeyIds?: readonly string[];
}

export class Misbehaviour {
    private graph: GraphWriteThrottle | undefined;
    private arm: ArmWriteThrottle | undefined;
    private outage: OutageWindow | undefined;
    private replication: ReplicationLag | undefined;

    constructor(private readonly issuer: TokenIssuer, private readonly tenantId: string, private readonly now: () => Date,
        private readonly state: () => State) {}

    /** Replaces every knob: buckets start full, an outage's window and counts start now. `{}` turns all off. */
    set(options: MisbehaviourOptions): void {
        const now = this.now().getTime();
        this.graph = options.graphThrottling === undefined ? undefined : new GraphWriteThrottle(options.graphThrottling);
        this.arm = options.armThrottling === undefined ? undefined : new ArmWriteThrottle(options.armThrottling);
        this.outage = options.outage === undefined ? undefined : new OutageWindow(options.outage, now);
        this.replication = options.replication === undefined ? undefined : new ReplicationLag(options.replication);
    }

    get active(): boolean {
        return this.graph !== undefined || this.arm !== undefined || this.outage !== undefined || this.replication !== undefined;
    }

    /** In Azure's order: a service down answers nothing else; a throttled request is not served; then replicas. */
    before(request: StandInRequest): Intervention | undefined {
        const now = this.now().getTime();
        const outage = this.outage?.check(request, now);
        if (outage !== undefined) return { answer: outage };
        const verified = this.issuer.fromHeader(request.headers.authorization);
        const caller = verified?.ok === true ? verified.claims : undefined;
        let headers: Record<string, string> | undefined;
        if (request.host === "graph.microsoft.com") {
            const throttled = this.graph?.check(request, caller, now);
            if (throttled !== undefined) return { answer: throttled };
            const hidden = this.replication?.hidesGraphPath(request.url.pathname, now);
            if (hidden !== undefined) return { answer: graphErrorResponse(request, notFound(hidden)) };
            const newKeyIds = this.newKeyIds(request);
            if (newKeyIds.length > 0) return { newKeyIds };
        }
        if (request.host === "management.azure.com") {
            const checked = this.arm?.check(request, caller, now);
            if (checked !== undefined && "throttled" in checked) return { answer: checked.throttled };
            headers = checked?.headers;
            const principal = this.unreplicatedPrincipal(request, now);
            if (principal !== undefined) return { answer: armErrorResponse(principalNotFound(principal, this.tenantId)), ...(headers ? { headers } : {}) };
        }
        return headers === undefined ? undefined : { headers };
    }

    /** Notes what the answer created, and adds the intervention's headers. */
    after(request: StandInRequest, response: StandInResponse, intervention: Intervention | undefined): StandInResponse {
        this.replication?.observe(request, response, this.now().getTime(), intervention?.newKeyIds);
        if (intervention?.headers === undefined) return response;
        return { ...response, headers: { ...response.headers, ...intervention.headers } };
    }

    /** For the token endpoint: a password or certificate Entra's replicas do not know yet. */
    hidesCredential(keyId: string): boolean {
        return this.replication?.hidesCredential(keyId, this.now().getTime()) ?? false;
    }

    /** The key IDs a PATCH of an application's keyCredentials adds to those it holds now. */
    private newKeyIds(request: StandInRequest): string[] {
        if (this.replication === undefined || request.method !== "PATCH") return [];
        const id = /^\/(?:v1\.0|beta)\/applications\/([0-9a-f-]{36})$/i.exec(request.url.pathname)?.[1];
        if (id === undefined) return [];
        try {
            const { keyCredentials } = JSON.parse(request.body) as { keyCredentials?: unknown };
            if (!Array.isArray(keyCredentials)) return [];
            const app = this.state().applications.find((candidate) => candidate.id === id);
            const held = new Set(((app?.properties["keyCredentials"] ?? []) as { keyId?: string }[]).map((key) => String(key.keyId).toLowerCase()));
            return keyCredentials.map((key: { keyId?: unknown }) => typeof key.keyId === "string" ? key.keyId.toLowerCase() : "")
                .filter((keyId) => keyId !== "" && !held.has(keyId));
        } catch {
            return [];
        }
    }

    /** A role assignment PUT without principalType for a service principal ARM's replica has not seen. */
    private unreplicatedPrincipal(request: StandInRequest, now: number): string | undefined {
        if (this.replication === undefined || request.method !== "PUT" ||
            !/\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/i.test(request.url.pathname)) return undefined;
        try {
            const { properties } = JSON.parse(request.body) as { properties?: { principalId?: unknown; principalType?: unknown } };
            const principalId = properties?.principalId;
            if (typeof principalId !== "string" || properties?.principalType !== undefined) return undefined;
            return this.replication.hidesPrincipalFromArm(principalId, now) ? principalId : undefined;
        } catch {
            return undefined;
        }
    }
}
