/**
 * The local Graph as the deploying identity calls it, through plain fetch: a client-credentials token from the local
 * Entra, then JSON requests. For the suites that test Graph's own rules (keyCredentials, federatedIdentityCredentials).
 */
import type { LocalAzure } from "../../localazure/index";

export interface GraphAnswer {
    readonly status: number;
    readonly body: Record<string, unknown> | undefined;
}

export type DeployerGraph = (method: string, path: string, body?: unknown) => Promise<GraphAnswer>;

export async function deployerGraph(azure: LocalAzure): Promise<DeployerGraph> {
    const reply = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: azure.deployer.clientId,
            client_secret: azure.deployer.clientSecret, scope: "https://graph.microsoft.com/.default" }).toString(),
    });
    const token = (await reply.json() as { access_token: string }).access_token;
    return async (method, path, body) => {
        const response = await fetch(`${azure.url}/graph.microsoft.com/v1.0${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, body: text === "" ? undefined : JSON.parse(text) as Record<string, unknown> };
    };
}

/** A new application of this display name, by the deployer: its object ID. */
export async function newApp(graph: DeployerGraph, displayName: string): Promise<string> {
    const created = await graph("POST", "/applications", { displayName });
    if (created.status !== 201) throw new Error(`POST /applications answered ${created.status}: ${JSON.stringify(created.body)}`);
    return String(created.body!["id"]);
}
