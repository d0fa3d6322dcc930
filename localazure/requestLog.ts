/**
 * The request log a person can read: one JSON line per request (time, caller's object ID, method, host, path and
 * query, status, the Graph, ARM or Entra error code), to a file or to stdout as they come. Never a body, a header
 * or a token: a request's secrets travel there. The one secret a query can carry, a SAS `sig`, is masked.
 */
import { appendFileSync, closeSync, openSync } from "node:fs";
import type { StandInResponse } from "./standin/server";

export interface RequestLogEntry {
    /** ISO 8601, when the answer was ready. */
    readonly time: string;
    /** Object ID of the calling service principal: from a valid bearer token, or the one a token was issued to. */
    readonly caller: string | null;
    readonly method: string;
    readonly host: string;
    /** The path without the query. */
    readonly path: string;
    /** The query string, with its `?`, or "". */
    readonly query: string;
    readonly status: number;
    /** Graph's and ARM's `error.code`, Entra's `error` (invalid_client, ...): null for a success or a body without one. */
    readonly error: string | null;
}

/** `sig` of a shared access signature (Storage SAS docs: the signature is the credential); everything else as sent. */
export function loggableQuery(search: string): string {
    return search.replace(/([?&]sig=)[^&]*/gi, "$1***");
}

/** The error code of an answer's JSON body, as each service writes it. */
export function errorCodeOf(response: StandInResponse): string | null {
    if (response.status < 400 || response.body === "") return null;
    try {
        const body = JSON.parse(response.body) as { error?: unknown; code?: unknown };
        if (typeof body.error === "string") return body.error;
        if (typeof body.error === "object" && body.error !== null && typeof (body.error as { code?: unknown }).code === "string") {
            return (body.error as { code: string }).code;
        }
        return typeof body.code === "string" ? body.code : null;
    } catch {
        // Storage answers XML: its code is in the x-ms-error-code header.
        const header = response.headers?.["x-ms-error-code"];
        return typeof header === "string" ? header : null;
    }
}

/** Appends each entry as a JSON line to `path` (made 0600), or writes it to stdout for "-". */
export class RequestLogWriter {
    private readonly fd: number | undefined;

    constructor(readonly path: string) {
        this.fd = path === "-" ? undefined : openSync(path, "a", 0o600);
    }

    write(entry: RequestLogEntry): void {
        const line = `${JSON.stringify(entry)}\n`;
        if (this.fd === undefined) process.stdout.write(line);
        else appendFileSync(this.fd, line);
    }

    close(): void {
        if (this.fd !== undefined) closeSync(this.fd);
    }
}
