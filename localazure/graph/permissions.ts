/**
 * Who may do what in the directory, from the application permissions in the caller's token (`roles`), as the
 * Microsoft Graph permissions reference (learn.microsoft.com/graph/permissions-reference) describes them:
 * Application.ReadWrite.All manages every app and service principal; Application.ReadWrite.OwnedBy creates apps
 * (and is made their owner) and manages only those it owns; either, or Application.Read.All / Directory.Read.All,
 * reads them all.
 */
import type { AccessTokenClaims } from "../tokens";
import { denied, GraphError } from "./errors";

function scopesMissing(): GraphError {
    return new GraphError(403, "AccessDenied", "You cannot perform the requested operation, required scopes are missing in the token.");
}

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

/**
 * Conditional Access: reading named locations and policies takes Policy.Read.All (namedlocation-get,
 * conditionalaccesspolicy-get: least privileged Policy.Read.All, higher Policy.ReadWrite.ConditionalAccess); creating,
 * changing or deleting them takes both Policy.Read.All and Policy.ReadWrite.ConditionalAccess
 * (conditionalaccessroot-post-namedlocations, -post-policies: "Policy.Read.All and Policy.ReadWrite.ConditionalAccess";
 * terraform-provider-azuread docs/resources/conditional_access_policy.md; hashicorp/terraform-provider-azuread#1281:
 * "Policy.ReadWrite.ConditionalAccess is not enough").
 */
const CONDITIONAL_ACCESS_READ = ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"];
const CONDITIONAL_ACCESS_WRITE = ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"];

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

    /**
     * Graph answers these APIs' missing permissions with its own 403, as real tenants quote it
     * (hashicorp/terraform-provider-azuread#1687, Microsoft365DSC/Microsoft365DSC#3556).
     */
    requireConditionalAccessRead(): void {
        if (!this.has(CONDITIONAL_ACCESS_READ)) throw scopesMissing();
    }

    /** Both permissions, not either. */
    requireConditionalAccessWrite(): void {
        if (!CONDITIONAL_ACCESS_WRITE.every((permission) => this.has([permission]))) throw scopesMissing();
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
