/** Owners as terraform-provider-azuread sets them, on applications and service principals alike. */
import type { DirectoryCollection, GraphClient } from "./graph";
import { directoryObjectUrl } from "./graph";
import { errorDiag, TerraformError } from "./diagnostics";

/**
 * The `owners@odata.bind` of a create: the caller first, then up to 19 configured owners; the rest are added
 * afterwards, and the caller is removed at the end unless configured (application_resource.go and
 * service_principal_resource.go, create: "The calling principal should always be in the first slice of owners").
 */
export function initialOwners(callerId: string, configured: readonly string[]) {
    const others = configured.filter((owner) => owner.toLowerCase() !== callerId.toLowerCase());
    return {
        bind: [callerId, ...others.slice(0, 19)].map(directoryObjectUrl),
        extra: others.slice(19),
        removeCaller: others.length === configured.length,
    };
}

/** A create's last owner steps, after the proving update: add the owners past the first 20, then remove the caller. */
export async function finishInitialOwners(
    graph: GraphClient,
    collection: DirectoryCollection,
    id: string,
    owners: ReturnType<typeof initialOwners>,
    callerId: string,
    label: string,
): Promise<void> {
    try {
        for (const owner of owners.extra) await graph.addOwner(collection, id, owner);
    } catch (error) {
        throw new TerraformError([errorDiag(`Could not add owners to ${label}`, error)]);
    }
    if (!owners.removeCaller) return;
    try {
        await graph.removeOwner(collection, id, callerId);
    } catch (error) {
        throw new TerraformError([errorDiag(`Could not remove initial owner from ${label}`, error)]);
    }
}

/**
 * An update's owners (`d.HasChange("owners")`): list the owners, add the missing, remove the others; the real
 * provider's remove failure says "Could not add owners" too.
 */
export async function reconcileOwners(
    graph: GraphClient,
    collection: DirectoryCollection,
    id: string,
    desired: readonly string[],
    label: string,
): Promise<void> {
    let existing: string[];
    try {
        existing = await graph.owners(collection, id);
    } catch (error) {
        throw new TerraformError([errorDiag(`Could not retrieve owners for ${label}`, error)]);
    }
    const lower = (list: readonly string[]) => list.map((owner) => owner.toLowerCase());
    const toAdd = desired.filter((owner) => !lower(existing).includes(owner.toLowerCase()));
    const toRemove = existing.filter((owner) => !lower(desired).includes(owner.toLowerCase()));
    try {
        for (const owner of toAdd) await graph.addOwner(collection, id, owner);
        for (const owner of toRemove) await graph.removeOwner(collection, id, owner);
    } catch (error) {
        throw new TerraformError([errorDiag(`Could not add owners to ${label}`, error)]);
    }
}
