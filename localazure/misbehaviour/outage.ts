/**
 * A service down for the next N requests, a window of seconds, or a share of requests: 500, 503 with Retry-After,
 * or a connection closed without an answer. The bodies are each service's own error shape: Graph's
 * serviceNotAvailable and generalException with the meanings "Microsoft Graph error responses and resource types"
 * (learn.microsoft.com/graph/errors, Code property) gives them; ARM's {"error":{"code","message"}} with the HTTP
 * status's name as code (ServiceUnavailable, InternalServerError), its wording modelled.
 */
import { randomUUID } from "node:crypto";
import { armHeaders } from "../arm/errors";
import { graphHeaders } from "../graph/errors";
import type { StandInRequest, StandInResponse } from "../standin/server";
import type { Outage, OutageService } from "./options";

const HOSTS: Readonly<Record<OutageService, string>> = { graph: "graph.microsoft.com", arm: "management.azure.com" };

/** The answer the listener turns into a closed connection. */
export const DROPPED: StandInResponse & { readonly dropConnection: true } = { status: 0, body: "", dropConnection: true };

export class OutageWindow {
    private matched = 0;
    private failed = 0;

    constructor(private readonly outage: Outage, private readonly since: number) {}

    check(request: StandInRequest, now: number): StandInResponse | undefined {
        const service = (Object.keys(HOSTS) as OutageService[]).find((name) => HOSTS[name] === request.host);
        if (service === undefined || !this.outage.services.includes(service)) return undefined;
        this.matched += 1;
        if (!this.fails(now)) return undefined;
        this.failed += 1;
        return this.outage.answer === "drop" ? DROPPED : failure(service, request, this.outage.answer, this.outage.retryAfterSeconds ?? 1);
    }

    private fails(now: number): boolean {
        const { requests, seconds, fraction } = this.outage;
        if (requests !== undefined && this.failed >= requests) return false;
        if (seconds !== undefined && now - this.since >= seconds * 1000) return false;
        if (fraction !== undefined) return Math.floor(this.matched * fraction) > Math.floor((this.matched - 1) * fraction);
        return true;
    }
}

function failure(service: OutageService, request: StandInRequest, status: 500 | 503, retryAfterSeconds: number): StandInResponse {
    const retryAfter: Record<string, string> = status === 503 ? { "retry-after": String(retryAfterSeconds) } : {};
    if (service === "graph") {
        const requestId = randomUUID();
        const [code, message] = status === 503
            ? ["serviceNotAvailable", "The service isn't available. Try the request again after a delay."]
            : ["generalException", "An unspecified error has occurred."];
        return {
            status, headers: { ...graphHeaders(request, requestId), ...retryAfter },
            body: JSON.stringify({ error: { code, message, innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ""),
                "request-id": requestId, "client-request-id": requestId } } }),
        };
    }
    const [code, message] = status === 503
        ? ["ServiceUnavailable", "The server is currently unable to handle the request. Please retry."]
        : ["InternalServerError", "Encountered internal server error. Diagnostic information: timestamp " +
            `'${new Date().toISOString()}', correlation Id '${randomUUID()}'.`];
    return { status, headers: { ...armHeaders(), ...retryAfter }, body: JSON.stringify({ error: { code, message } }) };
}
