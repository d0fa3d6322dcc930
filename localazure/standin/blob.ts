/**
 * A stand-in for Azure Blob Storage (`https://<account>.blob.core.windows.net`): create container, put, get and
 * delete blob, authorized as Azure RBAC authorizes them. A bearer token from the Entra stand-in names a service
 * principal; a role assignment applies when its scope contains the storage account's resource ID; it allows an
 * operation when its role's data actions (Microsoft's built-in role definitions, ../shared/reference) include the
 * operation's. Otherwise 403 AuthorizationPermissionMismatch, with the XML error body Azure returns.
 */
import { createHash, randomUUID } from "node:crypto";
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

export class BlobStandIn implements StandInService {
    /** Containers and blobs by account: what was stored. */
    readonly data = new Map<string, Map<string, Map<string, { body: Buffer; etag: string; modified: Date }>>>();

    constructor(
        private readonly accounts: Readonly<Record<string, StorageAccount>>,
        private readonly assignments: readonly Assignment[],
        private readonly roles: readonly RoleDefinition[],
        private readonly tokens: ReadonlyMap<string, TokenClaims>,
        private readonly now: () => Date = () => new Date(),
    ) {}

    matches(host: string): boolean {
        return host.endsWith(BLOB_HOST_SUFFIX) && this.accountName(host) in this.accounts;
    }

    /** Put a blob in place as an administrator would, bypassing RBAC: the fixture a scenario reads. */
    seed(account: string, container: string, blob: string, body: string): void {
        this.containerOf(account, container, true)!.set(blob, this.stored(Buffer.from(body)));
    }

    handle(request: StandInRequest): StandInResponse {
        const account = this.accountName(request.host);
        const [container = "", ...rest] = request.url.pathname.replace(/^\//, "").split("/");
        const blob = decodeURIComponent(rest.join("/"));
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

        if (isContainer && request.method === "PUT") {
            if (this.containerOf(account, container) !== undefined) {
                return storageError(409, "ContainerAlreadyExists", "The specified container already exists.");
            }
            this.containerOf(account, container, true);
            return this.ok(201, {});
        }
        const blobs = this.containerOf(account, container);
        if (blobs === undefined) return storageError(404, "ContainerNotFound", "The specified container does not exist.");
        const existing = blobs.get(blob);
        switch (request.method) {
            case "PUT": {
                const stored = this.stored(Buffer.from(request.body, "utf8"));
                blobs.set(blob, stored);
                return this.ok(201, {
                    ETag: stored.etag, "Last-Modified": stored.modified.toUTCString(),
                    "Content-MD5": createHash("md5").update(stored.body).digest("base64"),
                    "x-ms-request-server-encrypted": "true",
                });
            }
            case "DELETE":
                if (existing === undefined) return storageError(404, "BlobNotFound", "The specified blob does not exist.");
                blobs.delete(blob);
                return this.ok(202, { "x-ms-delete-type-permanent": "true" });
            default: {
                if (existing === undefined) return storageError(404, "BlobNotFound", "The specified blob does not exist.");
                return this.download(request, existing);
            }
        }
    }

    private download(request: StandInRequest, stored: { body: Buffer; etag: string; modified: Date }): StandInResponse {
        const headers: Record<string, string> = {
            ETag: stored.etag, "Last-Modified": stored.modified.toUTCString(), "x-ms-blob-type": "BlockBlob",
            "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream", "x-ms-server-encrypted": "true",
            "x-ms-creation-time": stored.modified.toUTCString(),
        };
        const range = /^bytes=(\d+)-(\d*)$/.exec(String(request.headers["x-ms-range"] ?? request.headers["range"] ?? ""));
        if (range === null) return { ...this.ok(200, headers), body: stored.body.toString("utf8") };
        const start = Number(range[1]);
        const end = Math.min(range[2] === "" ? Infinity : Number(range[2]), stored.body.length - 1);
        const part = stored.body.subarray(start, end + 1);
        return {
            ...this.ok(206, { ...headers, "Content-Range": `bytes ${start}-${end}/${stored.body.length}` }),
            body: part.toString("utf8"),
        };
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

    private containerOf(account: string, container: string, create = false) {
        let containers = this.data.get(account);
        if (containers === undefined) {
            containers = new Map();
            this.data.set(account, containers);
        }
        let blobs = containers.get(container);
        if (blobs === undefined && create) {
            blobs = new Map();
            containers.set(container, blobs);
        }
        return blobs;
    }

    private stored(body: Buffer) {
        return { body, etag: `"0x${randomUUID().replace(/-/g, "").slice(0, 15).toUpperCase()}"`, modified: this.now() };
    }

    private ok(status: number, headers: Record<string, string>): StandInResponse {
        return { status, headers: { ...commonHeaders(), ...headers }, body: "" };
    }
}

function commonHeaders(): Record<string, string> {
    return { "x-ms-request-id": randomUUID(), "x-ms-version": "2021-08-06", Date: new Date().toUTCString(), Server: "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0" };
}

function storageError(status: number, code: string, message: string): StandInResponse {
    const requestId = randomUUID();
    return {
        status,
        headers: { ...commonHeaders(), "x-ms-request-id": requestId, "x-ms-error-code": code, "Content-Type": "application/xml" },
        body: `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\n` +
            `RequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`,
    };
}
