/** The Azure Resource Manager calls pulumi-azure-native makes for a resource, sent to the local Azure. */
import { ARM, type TokenSource } from "../shared/auth";
import type { HttpAnswer, LocalAzureClient } from "../shared/localAzure";
import { isObject, stringOf } from "../shared/properties";
import { sendWithRetries } from "./retries";

export type ArmObject = Record<string, unknown>;

const STATUS_TEXT: Readonly<Record<number, string>> = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests",
    500: "Internal Server Error", 503: "Service Unavailable",
};

/**
 * An ARM error answer, in the shape of azcore's ResponseError text (azure-sdk-for-go sdk/azcore/runtime,
 * which pulumi-azure-native's azcore client returns), condensed: the request, the status, the code, the message.
 */
export class ArmError extends Error {
    constructor(method: string, id: string, readonly status: number, readonly code: string, armMessage: string) {
        super(`${method} https://${ARM}${id}\nRESPONSE ${status}: ${status} ${STATUS_TEXT[status] ?? ""}\nERROR CODE: ${code}\n${armMessage}`);
        this.name = "ArmError";
    }
}

export class ArmClient {
    constructor(private readonly http: LocalAzureClient, private readonly tokens: TokenSource) {}

    async get(id: string, apiVersion: string): Promise<HttpAnswer> {
        return this.send("GET", id, apiVersion);
    }

    async put(id: string, apiVersion: string, body: ArmObject): Promise<ArmObject> {
        return this.object(this.check("PUT", id, await this.send("PUT", id, apiVersion, body), [200, 201]));
    }

    async delete(id: string, apiVersion: string): Promise<void> {
        this.check("DELETE", id, await this.send("DELETE", id, apiVersion), [200, 202, 204]);
    }

    check(method: string, id: string, answer: HttpAnswer, expected: readonly number[]): HttpAnswer {
        if (expected.includes(answer.status)) return answer;
        const error = isObject(answer.body) && isObject(answer.body["error"]) ? answer.body["error"] : {};
        throw new ArmError(method, id, answer.status, stringOf(error["code"]) ?? "Unknown", stringOf(error["message"]) ?? "");
    }

    object(answer: HttpAnswer): ArmObject {
        return isObject(answer.body) ? answer.body : {};
    }

    /** Through azcore's retry policy as pulumi-azure-native configures it (./retries.ts). */
    private async send(method: "GET" | "PUT" | "DELETE", id: string, apiVersion: string, json?: ArmObject): Promise<HttpAnswer> {
        const token = await this.tokens.token(ARM);
        return sendWithRetries(() => this.http.send({
            method,
            host: ARM,
            path: `${id}?api-version=${apiVersion}`,
            token,
            ...(json === undefined ? {} : { json }),
        }));
    }
}
