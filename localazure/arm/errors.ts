/**
 * Azure Resource Manager's error responses: HTTP status and {"error":{"code","message"}}
 * (azure-rest-api-specs specification/common-types/resource-management/v5/types.json, ErrorResponse).
 */
import { randomUUID } from "node:crypto";
import type { StandInResponse } from "../standin/server";

export class ArmError extends Error {
    constructor(readonly status: number, readonly code: string, message: string) {
        super(message);
    }
}

export function armHeaders(): Record<string, string> {
    const id = randomUUID();
    return { "content-type": "application/json; charset=utf-8", "x-ms-request-id": id, "x-ms-correlation-request-id": id };
}

export function armErrorResponse(error: ArmError): StandInResponse {
    const challenge: Record<string, string> = error.status === 401
        ? { "www-authenticate": `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="${error.code}"` }
        : {};
    return { status: error.status, headers: { ...armHeaders(), ...challenge }, body: JSON.stringify({ error: { code: error.code, message: error.message } }) };
}

/** ARM writes times in its messages as .NET's invariant culture does: 1/5/2026 3:04:05 PM. */
export function dotnetTime(date: Date): string {
    const hours = date.getUTCHours();
    const pad = (value: number) => String(value).padStart(2, "0");
    return `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()} ${hours % 12 === 0 ? 12 : hours % 12}:` +
        `${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? "AM" : "PM"}`;
}

/** Principal IDs appear without dashes in ARM's role assignment messages. */
export function compactId(id: string): string {
    return id.replace(/-/g, "");
}
