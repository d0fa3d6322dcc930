/**
 * One place every request passes, whether it came as `${url}/<host>/<path>` or through the CONNECT proxy: the
 * service for its host answers, and the request is logged with its status and caller.
 */
import type { Misbehaviour } from "./misbehaviour";
import type { StandInRequest, StandInResponse, StandInService } from "./standin/server";
import { errorCodeOf, loggableQuery, type RequestLogEntry } from "./requestLog";
import type { TokenIssuer } from "./tokens";

export type { RequestLogEntry } from "./requestLog";

export class Router {
    readonly entries: RequestLogEntry[] = [];

    constructor(private readonly services: readonly StandInService[], private readonly issuer: TokenIssuer, private readonly now: () => Date,
        private readonly onEntry: (entry: RequestLogEntry) => void = () => undefined,
        private readonly misbehaviour?: Misbehaviour) {}

    serves(host: string): boolean {
        return this.services.some((service) => service.matches(host));
    }

    async dispatch(request: StandInRequest): Promise<StandInResponse> {
        const service = this.services.find((candidate) => candidate.matches(request.host));
        let response: StandInResponse;
        // Only when a test or a flag asked for misbehaviour (localazure/misbehaviour): the fast path stays as it was.
        const intervention = this.misbehaviour?.active === true ? this.misbehaviour.before(request) : undefined;
        try {
            response = intervention?.answer ?? (service === undefined
                ? { status: 404, headers: { "content-type": "text/plain" }, body: `The local Azure does not serve ${request.host}.\n` }
                : await service.handle(request));
        } catch (error) {
            response = { status: 500, headers: { "content-type": "text/plain" }, body: `local Azure: ${String(error)}\n` };
        }
        if (this.misbehaviour?.active === true) response = this.misbehaviour.after(request, response, intervention);
        const entry: RequestLogEntry = {
            time: this.now().toISOString(), caller: this.callerOf(request, response), method: request.method,
            host: request.host, path: request.url.pathname, query: loggableQuery(request.url.search),
            status: response.status, error: errorCodeOf(response),
        };
        this.entries.push(entry);
        this.onEntry(entry);
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
