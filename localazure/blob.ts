/**
 * Blob Storage with Azure RBAC, from localazure/standin/blob.ts, wrapped: before each request its assignment list is
 * refilled from the ARM state and its token table verifies the issuer's JWTs, so that a role assignment made or
 * deleted through ARM grants or withdraws access at the next request (as Azure's does, after its propagation
 * delay). Blobs written are kept in the state.
 */
import type { StandInRequest, StandInResponse, StandInService } from "./standin/server";
import { BlobStandIn, BLOB_HOST_SUFFIX, type Assignment } from "./standin/blob";
import type { TokenClaims } from "./standin/entra";
import { STORAGE_BLOB_ROLES } from "../infra/roles";
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

    constructor(private readonly store: Store, issuer: TokenIssuer, now: () => Date) {
        const accounts = Object.fromEntries(Object.entries(store.state.storageAccounts).map(([name, account]) =>
            [name, { subscriptionId: account.subscriptionId, resourceGroup: account.resourceGroup }]));
        this.blob = new BlobStandIn(accounts, this.assignments, STORAGE_BLOB_ROLES, new VerifiedTokens(issuer), now);
        this.restore();
    }

    matches(host: string): boolean {
        return this.blob.matches(host);
    }

    handle(request: StandInRequest): StandInResponse {
        this.assignments.splice(0, this.assignments.length, ...this.store.state.roleAssignments.map((assignment) => ({
            scope: assignment.scope, roleDefinitionId: assignment.roleDefinitionId, principalId: assignment.principalId,
        })));
        const response = this.blob.handle(request);
        if (request.method !== "GET" && request.method !== "HEAD" && response.status < 300) this.persist();
        return response;
    }

    private restore(): void {
        for (const [account, containers] of Object.entries(this.store.state.blobs)) {
            this.blob.data.set(account, new Map(Object.entries(containers).map(([container, blobs]) => [container,
                new Map(Object.entries(blobs).map(([name, stored]) => [name,
                    { body: Buffer.from(stored.body, "base64"), etag: stored.etag, modified: new Date(stored.modified) }]))])));
        }
    }

    private persist(): void {
        this.store.change((state) => {
            state.blobs = Object.fromEntries([...this.blob.data].map(([account, containers]) => [account,
                Object.fromEntries([...containers].map(([container, blobs]) => [container,
                    Object.fromEntries([...blobs].map(([name, stored]) => [name,
                        { body: stored.body.toString("base64"), etag: stored.etag, modified: stored.modified.toISOString() }]))]))]));
        });
    }
}

export { BLOB_HOST_SUFFIX };
