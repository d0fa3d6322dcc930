/**
 * A stand-in for Azure Blob Storage (`https://<account>.blob.core.windows.net`) that authenticates and authorizes
 * each request as Azure RBAC does, and leaves the data plane to Azurite, Microsoft's emulator (../azurite.ts). A
 * bearer token from the Entra stand-in names a service principal; a role assignment applies when its scope contains
 * the storage account's resource ID; it allows an operation when its role's data actions (Microsoft's built-in role
 * definitions, ../shared/reference) include the operation's. Otherwise 401 or 403 AuthorizationPermissionMismatch,
 * with the XML error body Azure returns, and the request goes no further. What it allows is forwarded to the data
 * plane, whose answer (status, headers, body) goes back to the client unchanged.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TokenClaims } from "./entra";
import type { StandInRequest, StandInResponse, StandInService } from "./server";

export const BLOB_HOST_SUFFIX = ".blob.core.windows.net";
const BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

export interface StorageAccount {
    readonly subscriptionId: string;
    readonly resourceGroup: string;
}

export interface Assignment {
    readonly scope: string;
    readonly roleDefinitionId: string;
    readonly principalId: string;
}

interface RoleDefinition {
    readonly name: string;
    readonly id: string;
    readonly dataActions: readonly string[];
}

/** The built-in role definitions as Microsoft publishes them, from shared/reference. */
export function readRoleDefinitions(sharedDir: string): RoleDefinition[] {
    const reference = JSON.parse(readFileSync(join(sharedDir, "reference", "storage-blob-roles.json"), "utf8")) as
        { roles: RoleDefinition[] };
    return reference.roles;
}

/**
 * Creating a container is a control action of the roles (their `actions`, not `dataActions`): Storage Blob Data
 * Contributor and Owner carry containers/write, Reader does not. The reference file lists data actions only.
 */
const CONTAINER_WRITERS = new Set(["ba92f5b4-2d11-453d-a403-e96b0029c9fe", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"]);

/** Where an authorized request goes: Azurite (../azurite.ts), for every account of the stand-in. */
export interface BlobDataPlane {
    forward(request: StandInRequest): Promise<StandInResponse>;
}

export class BlobStandIn implements StandInService {
    constructor(
        private readonly accounts: Readonly<Record<string, StorageAccount>>,
        private readonly assignments: readonly Assignment[],
        private readonly roles: readonly RoleDefinition[],
        private readonly tokens: ReadonlyMap<string, TokenClaims>,
        private readonly dataPlane: BlobDataPlane,
        private readonly now: () => Date = () => new Date(),
    ) {}

    matches(host: string): boolean {
        return host.endsWith(BLOB_HOST_SUFFIX) && this.accountName(host) in this.accounts;
    }

    async handle(request: StandInRequest): Promise<StandInResponse> {
        const account = this.accountName(request.host);
        const isContainer = request.url.searchParams.get("restype") === "container";

        const claims = this.authenticate(request);
        if ("status" in claims) return claims;
        const action = isContainer && request.method === "PUT" ? "container-write"
            : request.method === "PUT" ? `${BLOBS}/write`
            : request.method === "GET" || request.method === "HEAD" ? `${BLOBS}/read`
            : request.method === "DELETE" ? `${BLOBS}/delete` : undefined;
        if (action === undefined) return storageError(405, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.");
        if (!this.allows(claims.oid, account, action)) {
            return storageError(403, "AuthorizationPermissionMismatch",
                "This request is not authorized to perform this operation using this permission.");
        }
        return this.dataPlane.forward(request);
    }

    private authenticate(request: StandInRequest): TokenClaims | StandInResponse {
        const header = String(request.headers.authorization ?? "");
        if (!header.startsWith("Bearer ")) {
            return storageError(401, "NoAuthenticationInformation",
                "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.");
        }
        const claims = this.tokens.get(header.slice("Bearer ".length));
        if (claims === undefined || claims.aud !== "https://storage.azure.com" || claims.exp * 1000 <= this.now().getTime()) {
            return storageError(401, "InvalidAuthenticationInfo", "Server failed to authenticate the request.");
        }
        return claims;
    }

    /** Azure RBAC: an assignment to the principal whose scope contains the account, of a role granting the action. */
    allows(principalId: string, account: string, action: string): boolean {
        const target = this.accountId(account).toLowerCase();
        return this.assignments.some((assignment) => {
            const scope = assignment.scope.toLowerCase().replace(/\/$/, "");
            if (assignment.principalId !== principalId || !(target === scope || target.startsWith(`${scope}/`))) return false;
            const roleId = assignment.roleDefinitionId.split("/").at(-1)!.toLowerCase();
            if (action === "container-write") return CONTAINER_WRITERS.has(roleId);
            const role = this.roles.find((candidate) => candidate.id === roleId);
            return role !== undefined && role.dataActions.some((granted) =>
                granted === action || (granted.endsWith("/*") && action.startsWith(granted.slice(0, -1))));
        });
    }

    private accountId(account: string): string {
        const { subscriptionId, resourceGroup } = this.accounts[account]!;
        return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${account}`;
    }

    private accountName(host: string): string {
        return host.slice(0, -BLOB_HOST_SUFFIX.length);
    }
}

function storageError(status: number, code: string, message: string): StandInResponse {
    const requestId = randomUUID();
    return {
        status,
        headers: {
            "x-ms-request-id": requestId, "x-ms-version": "2021-08-06", Date: new Date().toUTCString(),
            Server: "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0", "x-ms-error-code": code, "Content-Type": "application/xml",
        },
        body: `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\n` +
            `RequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`,
    };
}
