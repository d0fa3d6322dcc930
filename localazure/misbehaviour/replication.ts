/**
 * Entra is eventually consistent (../../shared/GUIDE.md section 7): what was just created is not yet everywhere.
 * The local Azure watches its own answers for creations and, for N seconds after each, answers as a replica that
 * has not seen it yet:
 * - Graph: a request addressing the new application or service principal by object ID answers 404
 *   Request_ResourceNotFound (what terraform-provider-azuread's create retries on, application_resource.go:
 *   "Attempt to patch the newly created application ... which will tell us whether it exists yet");
 * - ARM: a role assignment for the new service principal without principalType answers 400 PrincipalNotFound; with
 *   principalType ARM does not look the principal up ("Troubleshoot Azure RBAC", learn.microsoft.com/azure/
 *   role-based-access-control/troubleshooting: "set the principalType property ... to avoid replication delays");
 * - the token endpoint: a new password is refused with AADSTS7000215, as if it were wrong; a new certificate's
 *   client assertion with AADSTS700027, as if it were not registered.
 */
import type { StandInRequest, StandInResponse } from "../standin/server";
import type { Replication } from "./options";

export class ReplicationLag {
    /** Object ID → when it was created (ms). */
    private readonly applications = new Map<string, number>();
    private readonly servicePrincipals = new Map<string, number>();
    private readonly principals = new Map<string, number>();
    private readonly passwords = new Map<string, number>();

    constructor(private readonly options: Replication) {}

    /** Notes what a successful answer created; `newKeyIds`: the certificates a PATCH of keyCredentials added. */
    observe(request: StandInRequest, response: StandInResponse, now: number, newKeyIds: readonly string[] = []): void {
        if (response.status < 300) for (const keyId of newKeyIds) this.passwords.set(keyId.toLowerCase(), now);
        if (request.host !== "graph.microsoft.com" || request.method !== "POST" || response.status >= 300) return;
        const path = request.url.pathname;
        const body = parse(response.body);
        if (/^\/(v1\.0|beta)\/applications$/.test(path) && typeof body["id"] === "string") this.applications.set(body["id"], now);
        if (/^\/(v1\.0|beta)\/servicePrincipals$/.test(path) && typeof body["id"] === "string") {
            this.servicePrincipals.set(body["id"], now);
            this.principals.set(body["id"], now);
        }
        if (/\/addPassword$/.test(path) && typeof body["keyId"] === "string") this.passwords.set(body["keyId"].toLowerCase(), now);
    }

    /** True while `objectId`, addressed in a Graph path, is not yet replicated. */
    hidesGraphPath(path: string, now: number): string | undefined {
        const [, collection, id] = /^\/(?:v1\.0|beta)\/(applications|servicePrincipals)\/([0-9a-f-]{36})(?:\/|$)/i.exec(path) ?? [];
        if (id === undefined) return undefined;
        const hidden = collection === "applications"
            ? young(this.applications, id, this.options.applicationSeconds, now)
            : young(this.servicePrincipals, id, this.options.servicePrincipalSeconds, now);
        return hidden ? id : undefined;
    }

    hidesPrincipalFromArm(principalId: string, now: number): boolean {
        return young(this.principals, principalId, this.options.principalSeconds, now);
    }

    /** A password's or certificate's key ID, while the token endpoint does not know it yet. */
    hidesCredential(keyId: string, now: number): boolean {
        return young(this.passwords, keyId.toLowerCase(), this.options.passwordSeconds, now);
    }
}

function young(created: Map<string, number>, key: string, seconds: number | undefined, now: number): boolean {
    const at = created.get(key);
    return at !== undefined && seconds !== undefined && now - at < seconds * 1000;
}

function parse(body: string): Record<string, unknown> {
    try {
        const value = JSON.parse(body) as unknown;
        return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
    } catch {
        return {};
    }
}
