/**
 * The deploying identity, for the commands that read Entra and ARM themselves (the tenant's credential policy,
 * adopting hand-made identities): the same one the Pulumi providers sign in as, from the same ARM_* variables.
 * The variable names and their precedence are the providers' (hashicorp/go-azure-sdk sdk/auth, as
 * terraform-provider-azuread and pulumi-azure-native read them: ARM_CLIENT_SECRET, then ARM_USE_OIDC with GitHub's
 * ACTIONS_ID_TOKEN_REQUEST_URL, then the Azure CLI's sign-in).
 */
import { AzureCliCredential, ClientAssertionCredential, ClientSecretCredential, DefaultAzureCredential,
    type TokenCredential } from "@azure/identity";

/** GitHub's audience for Entra workload identity federation (Microsoft Learn, "Configure an app to trust an external identity provider"). */
export const GITHUB_OIDC_AUDIENCE = "api://AzureADTokenExchange";

export interface DeployerCredential {
    readonly credential: TokenCredential;
    /** How it signs in, for messages: never the secret. */
    readonly description: string;
}

export function deployerCredential(env: NodeJS.ProcessEnv = process.env): DeployerCredential {
    const tenantId = env["ARM_TENANT_ID"];
    const clientId = env["ARM_CLIENT_ID"];
    const secret = env["ARM_CLIENT_SECRET"];
    if (tenantId && clientId && secret) {
        return { credential: new ClientSecretCredential(tenantId, clientId, secret),
            description: `client ${clientId} (ARM_CLIENT_SECRET)` };
    }
    const requestUrl = env["ACTIONS_ID_TOKEN_REQUEST_URL"];
    const requestToken = env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"];
    if (env["ARM_USE_OIDC"] === "true" && tenantId && clientId && requestUrl && requestToken) {
        const getAssertion = () => githubIdToken(requestUrl, requestToken);
        return { credential: new ClientAssertionCredential(tenantId, clientId, getAssertion),
            description: `client ${clientId} (GitHub Actions OIDC)` };
    }
    if (tenantId) return { credential: new AzureCliCredential({ tenantId }), description: "the Azure CLI's sign-in" };
    return { credential: new DefaultAzureCredential(), description: "DefaultAzureCredential" };
}

/**
 * A GitHub Actions OIDC token for Entra (GitHub Docs, "Configuring OpenID Connect in cloud providers": GET the
 * request URL with `&audience=`, bearer the request token; the answer is `{"value": "<jwt>"}`).
 */
async function githubIdToken(requestUrl: string, requestToken: string): Promise<string> {
    const url = new URL(requestUrl);
    url.searchParams.set("audience", GITHUB_OIDC_AUDIENCE);
    const response = await fetch(url, { headers: { authorization: `Bearer ${requestToken}` } });
    if (!response.ok) throw new Error(`GitHub's OIDC token endpoint answered ${response.status}`);
    const { value } = (await response.json()) as { value?: string };
    if (typeof value !== "string") throw new Error("GitHub's OIDC token endpoint answered without a token");
    return value;
}
