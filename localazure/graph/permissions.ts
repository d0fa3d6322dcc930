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
