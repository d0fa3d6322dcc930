/**
 * The one place the stand-ins send requests: the local Azure, never the real one. A request for
 * https://<host>/<path> goes to `${LOCAL_AZURE_URL}/<host>/<path>` (the local Azure contract).
 */

export const LOCAL_AZURE_URL = "LOCAL_AZURE_URL";

export interface HttpAnswer {
    readonly status: number;
    /** The parsed JSON body, or undefined for an empty one. */
    readonly body: unknown;
    /** The answer's headers, names in lower case (Retry-After is what the providers' retries read). */
    readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpRequest {
    readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
    readonly host: string;
    /** Path and query, starting with "/". */
    readonly path: string;
    readonly token?: string;
    readonly json?: unknown;
    readonly form?: Record<string, string>;
}

/**
 * Reads LOCAL_AZURE_URL and refuses anything but plain HTTP on a loopback address: a stand-in that could be
 * pointed at the real Azure would create real identities with test inputs.
 */
export function localAzureUrl(env: NodeJS.ProcessEnv): string {
    const raw = env[LOCAL_AZURE_URL];
    if (raw === undefined || raw === "") {
        throw new Error(
            `${LOCAL_AZURE_URL} is not set: it must be the local Azure's address (http://127.0.0.1:PORT, printed by ` +
                "startLocalAzure); the stand-in providers talk to nothing else",
        );
    }
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        throw new Error(`${LOCAL_AZURE_URL} is ${JSON.stringify(raw)}; expected http://127.0.0.1:PORT`);
    }
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    if (url.protocol !== "http:" || !loopback || (url.pathname !== "/" && url.pathname !== "")) {
        throw new Error(`${LOCAL_AZURE_URL} is ${JSON.stringify(raw)}; expected http://127.0.0.1:PORT (a loopback address)`);
    }
    return url.origin;
}

export class LocalAzureClient {
    constructor(readonly baseUrl: string) {}

    async send(request: HttpRequest): Promise<HttpAnswer> {
        const headers: Record<string, string> = { accept: "application/json" };
        let body: string | undefined;
        if (request.token !== undefined) headers["authorization"] = `Bearer ${request.token}`;
        if (request.json !== undefined) {
            headers["content-type"] = "application/json";
            body = JSON.stringify(request.json);
        } else if (request.form !== undefined) {
            headers["content-type"] = "application/x-www-form-urlencoded";
            body = new URLSearchParams(request.form).toString();
        }
        const response = await fetch(`${this.baseUrl}/${request.host}${request.path}`, {
            method: request.method,
            headers,
            body,
        });
        const text = await response.text();
        return { status: response.status, body: text === "" ? undefined : parseJson(text), headers: Object.fromEntries(response.headers) };
    }
}

function parseJson(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text;
    }
}
