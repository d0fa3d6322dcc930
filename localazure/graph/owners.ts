/**
 * Owners of an application or service principal: list (200), add by `{"@odata.id": ".../directoryObjects/{id}"}`
 * (204), remove (204) (learn.microsoft.com/graph/api/application-list-owners, application-post-owners,
 * application-delete-owners, and the servicePrincipal equivalents). Owners are service principals or users, never
 * groups or applications (terraform-provider-azuread docs/resources/application.md); the local tenant has no users.
 */
import type { ApplicationRecord, ServicePrincipalRecord, State } from "../state";
import type { Store } from "../store";
import { badRequest, notFound } from "./errors";
import { findDirectoryObject } from "./directory";
import { jsonObject, servicePrincipalView, type GraphResult } from "./model";
import { context } from "./odata";
import type { Caller } from "./permissions";

type Owned = ApplicationRecord | ServicePrincipalRecord;

/** The object ID at the end of a reference URL such as https://graph.microsoft.com/v1.0/directoryObjects/{id}. */
function referencedId(reference: unknown): string {
    const match = typeof reference === "string"
        ? /^https:\/\/graph\.microsoft\.com\/(?:v1\.0|beta)\/(?:directoryObjects|servicePrincipals|users)\/([^/?#]+)$/.exec(reference)
        : null;
    if (match === null) throw badRequest(`Invalid URL format specified in @odata.id: '${String(reference)}'.`);
    return match[1]!;
}

/** A would-be owner: it must exist (404) and be a service principal (400). */
function ownerFor(state: Readonly<State>, id: string): string {
    const found = findDirectoryObject(state, id);
    if (found.kind !== "servicePrincipal") {
        throw badRequest("Invalid object type for reference property 'owners': only users and service principals can own an object.");
    }
    return found.record.id;
}

/** `owners@odata.bind` of a POST: the references resolved, each once. */
export function ownerIdsFromBind(state: Readonly<State>, bind: unknown): string[] {
    if (bind === undefined) return [];
    if (!Array.isArray(bind)) throw badRequest("Invalid value specified for property 'owners@odata.bind'.");
    return [...new Set(bind.map((reference) => ownerFor(state, referencedId(reference))))];
}

export function listOwners(store: Store, caller: Caller, owned: Owned): GraphResult {
    caller.requireRead();
    const value = owned.owners.map((id) => {
        const sp = store.state.servicePrincipals.find((candidate) => candidate.id === id);
        return sp === undefined
            ? { "@odata.type": "#microsoft.graph.directoryObject", id }
            : { "@odata.type": "#microsoft.graph.servicePrincipal", ...servicePrincipalView(sp, store.state) };
    });
    return { status: 200, body: { ...context("directoryObjects"), value } };
}

export function addOwner(store: Store, caller: Caller, owned: Owned, body: string): GraphResult {
    caller.requireWrite(owned.owners);
    const ownerId = ownerFor(store.state, referencedId(jsonObject(body)["@odata.id"]));
    if (owned.owners.includes(ownerId)) {
        throw badRequest("One or more added object references already exist for the following modified properties: 'owners'.");
    }
    store.change(() => {
        owned.owners.push(ownerId);
    });
    return { status: 204 };
}

export function removeOwner(store: Store, caller: Caller, owned: Owned, ownerId: string): GraphResult {
    caller.requireWrite(owned.owners);
    if (!owned.owners.includes(ownerId)) throw notFound(ownerId);
    store.change(() => {
        owned.owners = owned.owners.filter((id) => id !== ownerId);
    });
    return { status: 204 };
}
