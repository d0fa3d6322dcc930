/**
 * Client-secret sign-in, as both real providers do it: the provider config keys (tenantId, clientId,
 * clientSecret) first, then ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET (terraform-provider-azuread
 * internal/provider/provider.go, EnvDefaultFunc; pulumi-azure-native provider/pkg/provider/provider.go,
 * getConfig(configName, envName)); a client-credentials token from Entra's v2.0 token endpoint per audience.
 */
import { NotModelledError } from "./errors";
import type { LocalAzureClient } from "./localAzure";
import { isObject, reveal, stringOf } from "./properties";
import type { PropertyMap } from "./types";

export const GRAPH = "graph.microsoft.com";
export const ARM = "management.azure.com";
const LOGIN = "login.microsoftonline.com";

export interface ClientSecretCredential {
    readonly tenantId: string;
    readonly clientId: string;
    readonly clientSecret: string;
}

/** The claims the providers read from an access token. */
export interface AccessTokenClaims {
    readonly aud: string;
    readonly tid: string;
    readonly appid: string;
    readonly oid: string;
    readonly exp: number;
}

const OTHER_SIGN_IN = ["useOidc", "useMsi", "useCli", "useAksWorkloadIdentity", "clientCertificate", "clientCertificatePath"];

/** The credential from Configure's arguments, falling back to the ARM_* environment. */
export function clientSecretCredential(
    provider: string,
    args: PropertyMap,
    env: NodeJS.ProcessEnv,
): ClientSecretCredential {
    const config = reveal(args) as PropertyMap;
    for (const key of OTHER_SIGN_IN) {
        const value = config[key];
        if (value === true || value === "true" || (typeof value === "string" && value !== "" && value !== "false")) {
            throw new NotModelledError(provider, `signing in with ${provider}:${key}`);
        }
    }
    const read = (key: string, envName: string) => {
        const fromConfig = stringOf(config[key]);
        return fromConfig !== undefined && fromConfig !== "" ? fromConfig : env[envName] ?? "";
    };
    const credential = {
        tenantId: read("tenantId", "ARM_TENANT_ID"),
        clientId: read("clientId", "ARM_CLIENT_ID"),
        clientSecret: read("clientSecret", "ARM_CLIENT_SECRET"),
    };
    const missing = [
        ["tenantId", "ARM_TENANT_ID"],
        ["clientId", "ARM_CLIENT_ID"],
        ["clientSecret", "ARM_CLIENT_SECRET"],
    ].filter(([key]) => credential[key as keyof ClientSecretCredential] === "");
    if (missing.length > 0) {
        throw new Error(
            `${provider}: no client secret credential: set ${missing.map(([key, envName]) => `${envName} (or ${provider}:${key})`).join(", ")}`,
        );
    }
    return credential;
}

/** Tokens per audience, fetched once and reused until a minute before they expire. */
export class TokenSource {
    private readonly cache = new Map<string, { token: string; claims: AccessTokenClaims }>();

    constructor(
        private readonly provider: string,
        private readonly client: LocalAzureClient,
        readonly credential: ClientSecretCredential,
        private readonly now: () => number = () => Date.now(),
    ) {}

    async token(audienceHost: string): Promise<string> {
        return (await this.fetch(audienceHost)).token;
    }

    async claims(audienceHost: string): Promise<AccessTokenClaims> {
        return (await this.fetch(audienceHost)).claims;
    }

    private async fetch(audienceHost: string) {
        const cached = this.cache.get(audienceHost);
        if (cached !== undefined && cached.claims.exp * 1000 - 60_000 > this.now()) return cached;
        const { tenantId, clientId, clientSecret } = this.credential;
        const answer = await this.client.send({
            method: "POST",
            host: LOGIN,
            path: `/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`,
            form: {
                grant_type: "client_credentials",
                client_id: clientId,
                client_secret: clientSecret,
                scope: `https://${audienceHost}/.default`,
            },
        });
        const body = isObject(answer.body) ? answer.body : {};
        const token = stringOf(body["access_token"]);
        if (answer.status !== 200 || token === undefined) {
            // Entra's error_description starts with the AADSTS code and never holds the secret.
            const description = stringOf(body["error_description"])?.split(/\r?\n| Trace ID:/)[0] ?? `HTTP ${answer.status}`;
            throw new Error(`${this.provider}: obtaining a token for https://${audienceHost}/ as client ${clientId}: ${description}`);
        }
        const entry = { token, claims: decodeClaims(token) };
        this.cache.set(audienceHost, entry);
        return entry;
    }
}

/** The JWT's payload, unverified: the providers read claims, the services verify signatures. */
export function decodeClaims(token: string): AccessTokenClaims {
    const payload = token.split(".")[1];
    if (payload === undefined) throw new Error("the access token is not a JWT");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    return {
        aud: stringOf(claims["aud"]) ?? "",
        tid: stringOf(claims["tid"]) ?? "",
        appid: stringOf(claims["appid"]) ?? stringOf(claims["azp"]) ?? "",
        oid: stringOf(claims["oid"]) ?? "",
        exp: Number(claims["exp"] ?? 0),
    };
}
