/**
 * Microsoft Graph's error responses (learn.microsoft.com/graph/errors): HTTP status, and a body
 * {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
 */
import { randomUUID } from "node:crypto";
import type { StandInRequest, StandInResponse } from "../standin/server";

/** One entry of an error's `details` (Graph's error resource: code, message, target). */
export interface GraphErrorDetail {
    readonly code: string;
    readonly message: string;
    readonly target: string;
}

export class GraphError extends Error {
    constructor(readonly status: number, readonly code: string, message: string, readonly details?: readonly GraphErrorDetail[]) {
        super(message);
    }
}

/** 404 for an object ID or key that names nothing (application, service principal, directory object, owner). */
export function notFound(id: string): GraphError {
    return new GraphError(404, "Request_ResourceNotFound",
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

/** 403 when the caller's permissions do not reach the object (Application.ReadWrite.OwnedBy on an app it does not own). */
export function denied(): GraphError {
    return new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
}

export function badRequest(message: string): GraphError {
    return new GraphError(400, "Request_BadRequest", message);
}

/** Headers Graph sends with every answer: its request ID, and the client's own request ID echoed back. */
export function graphHeaders(request: StandInRequest, requestId: string): Record<string, string> {
    const clientRequestId = String(request.headers["client-request-id"] ?? requestId);
    return {
        "request-id": requestId,
        "client-request-id": clientRequestId,
        "content-type": "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
    };
}

export function graphErrorResponse(request: StandInRequest, error: GraphError, extraHeaders: Record<string, string> = {}): StandInResponse {
    const requestId = randomUUID();
    const headers = graphHeaders(request, requestId);
    return {
        status: error.status,
        headers: { ...headers, ...extraHeaders },
        body: JSON.stringify({
            error: {
                code: error.code,
                message: error.message,
                ...(error.details === undefined ? {} : { details: error.details }),
                innerError: {
                    date: new Date().toISOString().replace(/\.\d+Z$/, ""),
                    "request-id": requestId,
                    "client-request-id": headers["client-request-id"],
                },
            },
        }),
    };
}
