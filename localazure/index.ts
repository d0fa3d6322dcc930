/**
 * The local Azure: Entra's token endpoint, Microsoft Graph, ARM role assignments and Blob Storage for one tenant
 * and subscription, on one loopback port, keeping state (in a file too, when given one) and logging every request.
 * Newcomers reach it through `npm run local-azure`; tests call startLocalAzure.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { connectMachine } from "./arm/machines";
import { ArmService } from "./arm/service";
import { BlobService } from "./blob";
import { serverCertificates } from "./certificates";
import { signInLogOf, type SignInLogEntry } from "./conditionalAccess";
import { GraphService } from "./graph/service";
import { fetchThroughProxy } from "./issuerFetch";
import { listen } from "./listener";
import { LoginService } from "./login";
import { Misbehaviour, type MisbehaviourOptions } from "./misbehaviour";
import type { OidcIssuer } from "./oidc/issuer";
import { Router, type RequestLogEntry } from "./router";
import type { Credential, State } from "./state";
import { Store } from "./store";
import { TokenIssuer } from "./tokens";

export type { RequestLogEntry } from "./router";
export type { MisbehaviourOptions } from "./misbehaviour";

export interface LocalAzureOptions {
    /** JSON file holding the state across restarts; its directory also keeps the TLS certificates. */
    readonly stateFile?: string;
    /** 0 or absent: any free port. */
    readonly port?: number;
    /** The clock (tokens, secret expiry, timestamps); the real one by default. */
    readonly now?: () => Date;
    /** Called with each request's log entry as it is answered (localazure/requestLog.ts writes them out). */
    readonly onRequest?: (entry: RequestLogEntry) => void;
    /** Throttling, outages, replication delay (localazure/misbehaviour/options.ts); none by default. */
    readonly misbehaviour?: MisbehaviourOptions;
    /**
     * OIDC issuers served on their own host names beside Azure's (localazure/oidc/issuer.ts), which the local Entra
     * reaches through this same port as a proxy, the way Entra reads a real issuer over the internet.
     */
    readonly oidcIssuers?: readonly OidcIssuer[];
}

export interface LocalAzure {
    /** `http://127.0.0.1:PORT`: `${url}/<real host>/<real path>` is served as `https://<real host>/<real path>`. */
    readonly url: string;
    /** The same port as an HTTP CONNECT proxy, for HTTPS_PROXY. */
    readonly proxyUrl: string;
    /** The test CA that signed the real hostnames' certificate: REQUESTS_CA_BUNDLE, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS. */
    readonly caFile: string;
    readonly tenantId: string;
    readonly subscriptionId: string;
    /**
     * What docs/deployer.md grants it: Graph Application.ReadWrite.OwnedBy and Policy.Read.ApplicationConfiguration;
     * on ARM, RBAC Administrator on the stacks' resource groups, conditioned to the Storage Blob roles for service
     * principals, and Reader on the managed identities' resource groups (localazure/seed.ts).
     */
    readonly deployer: Credential;
    /** The preview identity of docs/deployer.md section 7: Graph Application.Read.All and Policy.Read.ApplicationConfiguration, Reader on the groups. */
    readonly previewer: Credential | undefined;
    /** The "portal user": Application.ReadWrite.All and Owner of the subscription, for out-of-band changes. */
    readonly admin: Credential;
    /** Every request, in order. */
    log(): RequestLogEntry[];
    /**
     * Connects an Arc-enabled server with its system-assigned identity, as `azcmagent connect` and the platform do
     * (localazure/arm/machines.ts): the machine's resource ID and its identity's principal (object) ID.
     */
    connectArcMachine(resourceGroup: string, name: string): { readonly id: string; readonly principalId: string };
    /**
     * Gives a service principal a custom security attribute, as an Attribute Assignment Administrator does in the
     * portal (customsecurityattributevalue: `customSecurityAttributes: {AttributeSet: {Attribute: value}}`): what an
     * app management policy's excludeActors matches (localazure/graph/policies.ts).
     */
    assignCustomSecurityAttribute(objectId: string, attributeSet: string, attribute: string, value: string): void;
    /**
     * Grants a service principal Graph application permissions, as `az ad app permission add` and `admin-consent` do
     * (docs/deployer.md: the Conditional Access permissions, only for stacks with allowedNetworks).
     */
    grantGraphPermissions(objectId: string, permissions: readonly string[]): void;
    /** Service principals' sign-ins that Conditional Access policies judged (localazure/conditionalAccess.ts), in order. */
    signIns(): SignInLogEntry[];
    /** What the local Azure holds now (a copy): for tests that look behind the APIs, as a portal would show it. */
    state(): State;
    /** Replaces the misbehaviour knobs from now on (`{}`: behave again); buckets start full, windows start now. */
    misbehave(options: MisbehaviourOptions): void;
    stop(): Promise<void>;
}

export async function startLocalAzure(options: LocalAzureOptions = {}): Promise<LocalAzure> {
    const now = options.now ?? (() => new Date());
    const store = Store.open(options.stateFile, now());
    const issuer = new TokenIssuer(store.state.signingKey, now);
    const blob = new BlobService(store, issuer, now);
    const misbehaviour = new Misbehaviour(issuer, store.state.tenantId, now, () => store.state);
    misbehaviour.set(options.misbehaviour ?? {});
    const tlsDir = options.stateFile === undefined
        ? mkdtempSync(join(tmpdir(), "local-azure-tls-"))
        : join(dirname(options.stateFile), "tls");
    const certificates = serverCertificates(tlsDir, now());
    let url = "";
    const router = new Router([
        new LoginService(store, issuer, now, (keyId) => misbehaviour.hidesCredential(keyId),
            fetchThroughProxy(() => ({ proxyUrl: url, caFile: certificates.caFile }))),
        new GraphService(store, issuer, now),
        new ArmService(store, issuer, now),
        blob,
        ...(options.oidcIssuers ?? []),
    ], issuer, now, options.onRequest, misbehaviour);
    const listener = await listen(router, certificates, options.port ?? 0);
    url = `http://127.0.0.1:${listener.port}`;
    const { tenantId, subscriptionId, deployer, previewer, admin } = store.state;
    return {
        url, proxyUrl: url, caFile: certificates.caFile, tenantId, subscriptionId, deployer, previewer, admin,
        log: () => [...router.entries],
        connectArcMachine: (resourceGroup, name) => store.change((state) =>
            connectMachine(state, subscriptionId, resourceGroup, name, now().toISOString())),
        assignCustomSecurityAttribute: (objectId, attributeSet, attribute, value) => store.change((state) => {
            const principal = state.servicePrincipals.find((candidate) => candidate.id === objectId);
            if (principal === undefined) throw new Error(`no service principal ${objectId}`);
            const held = (principal.properties["customSecurityAttributes"] ?? {}) as Record<string, Record<string, unknown>>;
            held[attributeSet] = { "@odata.type": "#Microsoft.DirectoryServices.CustomSecurityAttributeValue", ...held[attributeSet], [attribute]: value };
            principal.properties["customSecurityAttributes"] = held;
        }),
        grantGraphPermissions: (objectId, permissions) => store.change((state) => {
            const principal = state.servicePrincipals.find((candidate) => candidate.id === objectId);
            if (principal === undefined) throw new Error(`no service principal ${objectId}`);
            principal.graphPermissions = [...new Set([...principal.graphPermissions, ...permissions])];
        }),
        signIns: () => [...signInLogOf(store)],
        state: () => structuredClone(store.state),
        misbehave: (knobs) => misbehaviour.set(knobs),
        stop: async () => {
            await listener.close();
            await blob.stop();
        },
    };
}
