/**
 * /v1.0/directory/deletedItems: Entra keeps a deleted application or service principal, credentials and owners
 * included, restorable for 30 days (Microsoft Graph "directory resource type"; "Deleting an application ... moves it
 * to the deleted items", application-delete). The operations and the application permissions each needs, from their
 * Graph pages (learn.microsoft.com/graph/api/...):
 * - list `GET /directory/deletedItems/microsoft.graph.application` (or `.servicePrincipal`), directory-deleteditems-list:
 *   Application.Read.All (least privileged; Application.ReadWrite.All and the Directory ones reach further);
 *   Application.ReadWrite.OwnedBy is not among them;
 * - get `GET /directory/deletedItems/{id}`, directory-deleteditems-get: the same;
 * - restore `POST /directory/deletedItems/{id}/restore`, directory-deleteditems-restore: Application.ReadWrite.OwnedBy
 *   (for what the caller owns) or Application.ReadWrite.All; 200 with the object. Restoring an application does not
 *   restore its service principal;
 * - permanent delete `DELETE /directory/deletedItems/{id}`, directory-deleteditems-delete: the same permissions; 204.
 * An ID that is not in deleted items answers 404 Request_ResourceNotFound.
 * Not modelled: the 30-day purge by time, `$filter`/`$orderby` on the lists, and other object types.
 */
import type { ApplicationRecord, DeletedItemRecord, ServicePrincipalRecord, State } from "../state";
import type { Store } from "../store";
import { notFound } from "./errors";
import { applicationView, requireObjectId, servicePrincipalView, type GraphResult } from "./model";
import { context } from "./odata";
import type { Caller } from "./permissions";

export const DELETABLE_TYPES = { "microsoft.graph.application": "application", "microsoft.graph.servicePrincipal": "servicePrincipal" } as const;

/** Moves an application (and, as Entra does, its service principal) or a service principal to deleted items. */
export function softDelete(state: State, kind: DeletedItemRecord["kind"], id: string, at: string): void {
    const items: DeletedItemRecord[] = state.deletedItems ?? [];
    state.deletedItems = items;
    if (kind === "application") {
        const app = state.applications.find((candidate) => candidate.id === id)!;
        state.applications = state.applications.filter((candidate) => candidate !== app);
        items.push({ kind, deletedDateTime: at, application: app });
        for (const sp of state.servicePrincipals.filter((candidate) => candidate.appId === app.appId)) softDelete(state, "servicePrincipal", sp.id, at);
    } else {
        const sp = state.servicePrincipals.find((candidate) => candidate.id === id)!;
        state.servicePrincipals = state.servicePrincipals.filter((candidate) => candidate !== sp);
        items.push({ kind, deletedDateTime: at, servicePrincipal: sp });
    }
}

function recordOf(item: DeletedItemRecord): ApplicationRecord | ServicePrincipalRecord {
    return item.kind === "application" ? item.application! : item.servicePrincipal!;
}

function view(item: DeletedItemRecord, state: Readonly<State>): Record<string, unknown> {
    const base = item.kind === "application" ? applicationView(item.application!) : servicePrincipalView(item.servicePrincipal!, state);
    return { "@odata.type": `#microsoft.graph.${item.kind}`, ...base, deletedDateTime: item.deletedDateTime };
}

function find(state: Readonly<State>, id: string): DeletedItemRecord {
    requireObjectId(id);
    const item = (state.deletedItems ?? []).find((candidate) => recordOf(candidate).id === id);
    if (item === undefined) throw notFound(id);
    return item;
}

export function listDeletedItems(store: Store, caller: Caller, kind: DeletedItemRecord["kind"]): GraphResult {
    caller.requireReadAll();
    const items = (store.state.deletedItems ?? []).filter((item) => item.kind === kind);
    return { status: 200, body: { ...context("directoryObjects"), value: items.map((item) => view(item, store.state)) } };
}

export function getDeletedItem(store: Store, caller: Caller, id: string): GraphResult {
    caller.requireReadAll();
    return { status: 200, body: { ...context("directoryObjects/$entity"), ...view(find(store.state, id), store.state) } };
}

/** Back where it was, credentials included; an application's service principal stays in deleted items. */
export function restoreDeletedItem(store: Store, caller: Caller, id: string): GraphResult {
    const item = find(store.state, id);
    caller.requireWrite(recordOf(item).owners);
    store.change((state) => {
        state.deletedItems = (state.deletedItems ?? []).filter((candidate) => candidate !== item);
        if (item.kind === "application") state.applications.push(item.application!);
        else state.servicePrincipals.push(item.servicePrincipal!);
    });
    const restored = item.kind === "application" ? applicationView(item.application!) : servicePrincipalView(item.servicePrincipal!, store.state);
    return { status: 200, body: { ...context("directoryObjects/$entity"), "@odata.type": `#microsoft.graph.${item.kind}`, ...restored } };
}

export function purgeDeletedItem(store: Store, caller: Caller, id: string): GraphResult {
    const item = find(store.state, id);
    caller.requireWrite(recordOf(item).owners);
    store.change((state) => {
        state.deletedItems = (state.deletedItems ?? []).filter((candidate) => candidate !== item);
    });
    return { status: 204 };
}
