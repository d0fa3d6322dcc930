/**
 * Reads from Microsoft Graph and Azure Resource Manager as the deploying identity, through the Azure SDK's own
 * HTTP pipeline (@azure/core-rest-pipeline): it retries as the Azure SDK for JavaScript does, and it honours
 * HTTPS_PROXY and NODE_EXTRA_CA_CERTS, which is how the local Azure (localazure/) answers for the real host names.
 *
 * The retries are the pipeline's defaultRetryPolicy (@azure/core-rest-pipeline 1.24.0, policies/defaultRetryPolicy,
 * strategies in @typespec/ts-http-runtime 0.3.6 retryStrategies/): at most 3 retries after the first attempt; a 429
 * or 503 carrying Retry-After (or retry-after-ms, x-ms-retry-after-ms) waits exactly that long (throttlingRetryStrategy);
 * any other 5xx but 501 and 505, a 408, or a dropped or refused connection waits between half and all of
 * 1 s x 2^retry, at most 64 s (exponentialRetryStrategy, util/delay calculateRetryDelay). The last answer then is the error reported. Callers (and tests) tune it with
 * the pipeline's own PipelineRetryOptions, never a loop of their own.
 */
import { bearerTokenAuthenticationPolicy, createDefaultHttpClient, createPipelineFromOptions,
    createPipelineRequest, type Pipeline, type PipelineRetryOptions } from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";

export const GRAPH = { origin: "https://graph.microsoft.com", scope: "https://graph.microsoft.com/.default" } as const;
export const ARM = { origin: "https://management.azure.com", scope: "https://management.azure.com/.default" } as const;
type Api = typeof GRAPH | typeof ARM;

/** An answer other than 2xx, with the service's own error code and message (Graph and ARM share the shape). */
export class AzureRequestError extends Error {
    constructor(readonly status: number, readonly code: string, message: string, readonly path: string) {
        super(`${path}: ${status} ${code}: ${message}`);
        this.name = "AzureRequestError";
    }
}

export class AzureReader {
    private readonly pipelines = new Map<Api, Pipeline>();
    private readonly httpClient = createDefaultHttpClient();

    constructor(private readonly credential: TokenCredential, private readonly retryOptions: PipelineRetryOptions = {}) {}

    /** GET one JSON document; `path` starts with "/" and carries the query (api-version for ARM); `headers` added to the request. */
    get<T>(api: Api, path: string, headers: Readonly<Record<string, string>> = {}): Promise<T> {
        return this.send<T>(api, "GET", path, undefined, headers);
    }

    /** POST a JSON body (an action such as Graph's removePassword); the answer's JSON, if any. */
    post<T>(api: Api, path: string, body: unknown): Promise<T> {
        return this.send<T>(api, "POST", path, body);
    }

    /** PATCH a JSON body (Graph's update of an object, such as an app's whole keyCredentials collection). */
    patch<T>(api: Api, path: string, body: unknown): Promise<T> {
        return this.send<T>(api, "PATCH", path, body);
    }

    /** DELETE one resource (Graph's permanent delete of a deleted item answers 204, no body). */
    delete(api: Api, path: string): Promise<void> {
        return this.send<void>(api, "DELETE", path);
    }

    private async send<T>(api: Api, method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown,
        headers: Readonly<Record<string, string>> = {}): Promise<T> {
        const request = createPipelineRequest({ url: `${api.origin}${path}`, method,
            ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
        request.headers.set("accept", "application/json");
        if (body !== undefined) request.headers.set("content-type", "application/json");
        const response = await this.pipelineFor(api).sendRequest(this.httpClient, request);
        const answer = response.bodyAsText ? JSON.parse(response.bodyAsText) as unknown : undefined;
        if (response.status < 200 || response.status > 299) {
            const error = (answer as { error?: { code?: string; message?: string } } | undefined)?.error;
            throw new AzureRequestError(response.status, error?.code ?? "Unknown", error?.message ?? "", path);
        }
        return answer as T;
    }

    /** Every item of a paged list: Graph's `@odata.nextLink`, ARM's `nextLink`; `headers` on every page's request. */
    async list<T>(api: Api, path: string, headers: Readonly<Record<string, string>> = {}): Promise<T[]> {
        const items: T[] = [];
        let next: string | undefined = path;
        while (next !== undefined) {
            const page: { value?: T[]; "@odata.nextLink"?: string; nextLink?: string } = await this.get(api, next, headers);
            items.push(...(page.value ?? []));
            const link = page["@odata.nextLink"] ?? page.nextLink;
            next = link === undefined ? undefined : link.slice(api.origin.length);
        }
        return items;
    }

    private pipelineFor(api: Api): Pipeline {
        let pipeline = this.pipelines.get(api);
        if (pipeline === undefined) {
            pipeline = createPipelineFromOptions({ retryOptions: this.retryOptions });
            pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: this.credential, scopes: api.scope }));
            this.pipelines.set(api, pipeline);
        }
        return pipeline;
    }
}
