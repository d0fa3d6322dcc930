/**
 * Who may do what in the directory, from the application permissions in the caller's token (`roles`), as the
 * Microsoft Graph permissions reference (learn.microsoft.com/graph/permissions-reference) describes them:
 * Application.ReadWrite.All manages every app and service principal; Application.ReadWrite.OwnedBy creates apps
 * (and is made their owner) and manages only those it owns; either, or Application.Read.All / Directory.Read.All,
 * reads them all.
 */
import type { AccessTokenClaims } from "../tokens";
import { denied } from "./errors";

const READ = ["Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All"];
const WRITE_ALL = ["Application.ReadWrite.All", "Directory.ReadWrite.All"];
const OWNED_BY = "Application.ReadWrite.OwnedBy";
/**
 * App management policies: each of these reads the default and the assigned policies (tenantappmanagementpolicy-get,
 * appmanagementpolicy-list, appmanagementpolicy-get: Policy.Read.All, Policy.Read.ApplicationConfiguration,
 * Policy.ReadWrite.ApplicationConfiguration); only the last changes them (tenantappmanagementpolicy-update,
 * appmanagementpolicy-post-appmanagementpolicies, appmanagementpolicy-post-appliesto).
 */
const POLICY_READ = ["Policy.Read.All", "Policy.Read.ApplicationConfiguration", "Policy.ReadWrite.ApplicationConfiguration"];
const POLICY_WRITE = ["Policy.ReadWrite.ApplicationConfiguration"];

export class Caller {
    constructor(readonly claims: AccessTokenClaims) {}

    get objectId(): string {
        return this.claims.oid;
    }

    private has(permissions: readonly string[]): boolean {
        return (this.claims.roles ?? []).some((role) => permissions.includes(role));
    }

    requireRead(): void {
        if (!this.has(READ)) throw denied();
    }

    /**
     * Reads that Application.ReadWrite.OwnedBy does not cover: the directory's deleted items
     * (directory-deleteditems-list and -get: Application.Read.All, or a permission reaching further).
     */
    requireReadAll(): void {
        if (!this.has(READ.filter((permission) => permission !== OWNED_BY))) throw denied();
    }

    requirePolicyRead(): void {
        if (!this.has(POLICY_READ)) throw denied();
    }

    requirePolicyWrite(): void {
        if (!this.has(POLICY_WRITE)) throw denied();
    }

    /** May create an app; true when the creator must be made its owner (OwnedBy). */
    requireCreate(): { becomesOwner: boolean } {
        if (this.has(WRITE_ALL)) return { becomesOwner: false };
        if (this.has([OWNED_BY])) return { becomesOwner: true };
        throw denied();
    }

    /** May change or delete an object with these owners. */
    requireWrite(owners: readonly string[]): void {
        if (this.has(WRITE_ALL)) return;
        if (this.has([OWNED_BY]) && owners.includes(this.objectId)) return;
        throw denied();
    }
}
