/**
 * One place every request passes, whether it came as `${url}/<host>/<path>` or through the CONNECT proxy: the
 * service for its host answers, and the request is logged with its status and caller.
 */
import type { StandInRequest, StandInResponse, StandInService } from "./standin/server";
import type { TokenIssuer } from "./tokens";

export interface RequestLogEntry {
    readonly method: string;
    readonly host: string;
    /** The path without the query. */
    readonly path: string;
    /** The query string, with its `?`, or "". */
    readonly query: string;
    readonly status: number;
    /** Object ID of the calling service principal: from a valid bearer token, or the one a token was issued to. */
    readonly caller: string | null;
    /** ISO 8601, when the answer was ready. */
    readonly time: string;
}

export class Router {
    readonly entries: RequestLogEntry[] = [];

    constructor(private readonly services: readonly StandInService[], private readonly issuer: TokenIssuer, private readonly now: () => Date) {}

    serves(host: string): boolean {
        return this.services.some((service) => service.matches(host));
    }

    async dispatch(request: StandInRequest): Promise<StandInResponse> {
        const service = this.services.find((candidate) => candidate.matches(request.host));
        let response: StandInResponse;
        try {
            response = service === undefined
                ? { status: 404, headers: { "content-type": "text/plain" }, body: `The local Azure does not serve ${request.host}.\n` }
                : await service.handle(request);
        } catch (error) {
            response = { status: 500, headers: { "content-type": "text/plain" }, body: `local Azure: ${String(error)}\n` };
        }
        this.entries.push({
            method: request.method, host: request.host, path: request.url.pathname, query: request.url.search,
            status: response.status, caller: this.callerOf(request, response), time: this.now().toISOString(),
        });
        return response;
    }

    private callerOf(request: StandInRequest, response: StandInResponse): string | null {
        const verification = this.issuer.fromHeader(request.headers.authorization);
        if (verification?.ok === true) return verification.claims.oid;
        if (response.status === 200 && /\/oauth2\/v2\.0\/token$/.test(request.url.pathname)) {
            const issued = this.issuer.verify((JSON.parse(response.body) as { access_token: string }).access_token);
            return issued.ok ? issued.claims.oid : null;
        }
        return null;
    }
}
