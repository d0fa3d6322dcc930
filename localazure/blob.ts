/**
 * Blob Storage with Azure RBAC, from localazure/standin/blob.ts, wrapped: before each request its assignment list is
 * refilled from the ARM state and its token table verifies the issuer's JWTs, so that a role assignment made or
 * deleted through ARM grants or withdraws access at the next request (as Azure's does, after its propagation
 * delay). The data plane is Azurite (./azurite.ts), started at the first Blob request and stopped with `stop()`.
 *
 * Blobs written are kept in the local Azure's state too, so that they survive a restart: Azurite runs in memory,
 * and its own persistence (`--location`: a Loki database it saves on a timer and at a clean shutdown) would be a
 * second store beside the state file, behind it after a crash or a kill. After each change Azurite accepted, the
 * touched container or blob is read back from Azurite into the state, which the store writes before the answer
 * goes out; at start, the state's blobs are put back into Azurite before the first request is forwarded.
 */
import type { StandInRequest, StandInResponse, StandInService } from "./standin/server";
import { BlobStandIn, BLOB_HOST_SUFFIX, type Assignment } from "./standin/blob";
import type { TokenClaims } from "./standin/entra";
import { startAzurite, type Azurite, type AzuriteReply } from "./azurite";
import { STORAGE_BLOB_ROLES } from "../common/builtInRoles";
import type { Store } from "./store";
import type { TokenIssuer } from "./tokens";

/** A token table whose lookups verify the token instead: a token from before a restart is still good. */
class VerifiedTokens extends Map<string, TokenClaims> {
    constructor(private readonly issuer: TokenIssuer) {
        super();
    }

    override get(token: string): TokenClaims | undefined {
        const verification = this.issuer.verify(token);
        return verification.ok ? verification.claims : undefined;
    }
}

export class BlobService implements StandInService {
    private readonly assignments: Assignment[] = [];
    private readonly blob: BlobStandIn;
    private azurite: Promise<Azurite> | undefined;
    private stopped = false;
    /** Read-backs one after another, so that the last write to a blob is the one the state keeps. */
    private persisted: Promise<void> = Promise.resolve();

    constructor(private readonly store: Store, issuer: TokenIssuer, now: () => Date) {
        const accounts = Object.fromEntries(Object.entries(store.state.storageAccounts).map(([name, account]) =>
            [name, { subscriptionId: account.subscriptionId, resourceGroup: account.resourceGroup }]));
        this.blob = new BlobStandIn(accounts, this.assignments, STORAGE_BLOB_ROLES, new VerifiedTokens(issuer),
            { forward: async (request) => (await this.dataPlane()).forward(request) }, now);
    }

    matches(host: string): boolean {
        return this.blob.matches(host);
    }

    async handle(request: StandInRequest): Promise<StandInResponse> {
        this.assignments.splice(0, this.assignments.length, ...this.store.state.roleAssignments.map((assignment) => ({
            scope: assignment.scope, roleDefinitionId: assignment.roleDefinitionId, principalId: assignment.principalId,
        })));
        const response = await this.blob.handle(request);
        if (request.method !== "GET" && request.method !== "HEAD" && response.status < 300) {
            this.persisted = this.persisted.catch(() => undefined).then(() => this.persist(request));
            await this.persisted;
        }
        return response;
    }

    /** Azurite, started (and filled from the state) at the first request that needs it; tried again if that failed. */
    private dataPlane(): Promise<Azurite> {
        if (this.stopped) return Promise.reject(new Error("the local Azure's Blob service was stopped"));
        this.azurite ??= this.start().catch((error: unknown) => {
            this.azurite = undefined;
            throw error;
        });
        return this.azurite;
    }

    async stop(): Promise<void> {
        this.stopped = true;
        const azurite = this.azurite;
        this.azurite = undefined;
        if (azurite !== undefined) await (await azurite.catch(() => undefined))?.stop();
    }

    private async start(): Promise<Azurite> {
        const azurite = await startAzurite(Object.keys(this.store.state.storageAccounts));
        try {
            const restored = structuredClone(this.store.state.blobs);
            for (const [account, containers] of Object.entries(restored)) {
                for (const [container, blobs] of Object.entries(containers)) {
                    await succeeded(azurite.send(hostOf(account), "PUT", `/${container}?restype=container`));
                    for (const [name, stored] of Object.entries(blobs)) {
                        const put = await succeeded(azurite.send(hostOf(account), "PUT", blobPath(container, name),
                            { "x-ms-blob-type": "BlockBlob" }, Buffer.from(stored.body, "base64")));
                        // Azurite gives the blob a new ETag and time: the state says what it holds now.
                        blobs[name] = { body: stored.body, ...versionOf(put.headers) };
                    }
                }
            }
            this.store.change((state) => { state.blobs = restored; });
        } catch (error) {
            await azurite.stop();
            throw error;
        }
        return azurite;
    }

    /** Reads the container or blob the request touched back from Azurite into the state: there, or gone. */
    private async persist(request: StandInRequest): Promise<void> {
        const azurite = await this.dataPlane();
        const account = request.host.slice(0, -BLOB_HOST_SUFFIX.length);
        const [container = "", ...rest] = request.url.pathname.replace(/^\//, "").split("/");
        const name = decodeURIComponent(rest.join("/"));
        if (container === "") return;
        if (name === "") {
            const exists = (await azurite.send(request.host, "GET", `/${container}?restype=container`)).status === 200;
            this.store.change((state) => {
                const containers = state.blobs[account] ?? {};
                if (exists) containers[container] ??= {};
                else delete containers[container];
                state.blobs[account] = containers;
            });
            return;
        }
        const read = await azurite.send(request.host, "GET", blobPath(container, name));
        this.store.change((state) => {
            const containers = state.blobs[account] ?? {};
            const blobs = containers[container] ?? {};
            if (read.status === 200) blobs[name] = { body: read.body.toString("base64"), ...versionOf(read.headers) };
            else delete blobs[name];
            // A blob is written only into a container that exists; an uncommitted block leaves no blob behind.
            if (read.status === 200 || container in containers) containers[container] = blobs;
            state.blobs[account] = containers;
        });
    }
}

function hostOf(account: string): string {
    return `${account}${BLOB_HOST_SUFFIX}`;
}

function blobPath(container: string, name: string): string {
    return `/${container}/${name.split("/").map(encodeURIComponent).join("/")}`;
}

function versionOf(headers: Readonly<Record<string, string>>): { etag: string; modified: string } {
    return { etag: headers["ETag"] ?? "", modified: new Date(headers["Last-Modified"] ?? 0).toISOString() };
}

async function succeeded(pending: Promise<AzuriteReply>): Promise<AzuriteReply> {
    const reply = await pending;
    if (reply.status !== 201) throw new Error(`Azurite refused to restore the local Azure's blobs: ${reply.status} ${reply.body.toString("utf8")}`);
    return reply;
}

export { BLOB_HOST_SUFFIX };
