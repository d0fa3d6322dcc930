/**
 * How the local Entra reads an OIDC issuer's discovery document and keys: a real HTTPS GET through an HTTP CONNECT
 * proxy (the local Azure's own port, or the e2e stand-in's), trusting the local test CA, the way Entra fetches them
 * from the internet. The tunnel is https-proxy-agent's (TooTallNate/proxy-agents; 7.0.6, the one the Azure SDK's
 * HTTP runtime under @azure/core-rest-pipeline already brings for HTTPS_PROXY), not a hand-written CONNECT.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { HttpsProxyAgent } from "https-proxy-agent";
import type { IssuerFetch } from "./federatedAssertion";

/** Entra gives up on a slow issuer; ten seconds here keeps a test that reaches nothing from hanging. */
const TIMEOUT_MS = 10_000;

/** The proxy and its CA are asked for at each fetch: a server learns its port only once it listens. */
export interface ProxyRoute {
    readonly proxyUrl: string;
    readonly caFile: string;
}

export function fetchThroughProxy(route: () => ProxyRoute): IssuerFetch {
    return (url) => new Promise((resolve, reject) => {
        const { proxyUrl, caFile } = route();
        const agent = new HttpsProxyAgent(proxyUrl);
        const get = request(url, { method: "GET", agent, ca: readFileSync(caFile), timeout: TIMEOUT_MS }, (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            response.on("error", reject);
        });
        get.on("timeout", () => get.destroy(new Error(`no answer from ${url} within ${TIMEOUT_MS} ms`)));
        get.on("error", reject);
        get.end();
    });
}
