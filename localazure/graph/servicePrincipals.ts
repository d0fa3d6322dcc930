/**
 * /v1.0/servicePrincipals: create for an application's appId (201), list with `$filter` (200), get (200),
 * update (204), delete (204) (learn.microsoft.com/graph/api/serviceprincipal-post-serviceprincipals,
 * serviceprincipal-list, serviceprincipal-get, serviceprincipal-update, serviceprincipal-delete).
 */
import type { Store } from "../store";
import { newId } from "../secrets";
import { badRequest, GraphError } from "./errors";
import { softDelete } from "./deletedItems";
import { findServicePrincipal } from "./directory";
import { jsonObject, servicePrincipalView, writableProperties, type GraphResult } from "./model";
import { SERVICE_PRINCIPAL_FILTER, parseFilter } from "./filter";
import { context } from "./odata";
import { ownerIdsFromBind } from "./owners";
import type { Caller } from "./permissions";

export function createServicePrincipal(store: Store, caller: Caller, body: string): GraphResult {
    const input = jsonObject(body);
    const appId = input["appId"];
    const app = store.state.applications.find((candidate) => candidate.appId === appId);
    if (typeof appId !== "string" || app === undefined) {
        throw badRequest(`The appId '${String(appId)}' of the service principal does not reference a valid application object.`);
    }
    const { becomesOwner } = caller.requireCreate();
    // Application.ReadWrite.OwnedBy reaches only the apps it owns, and owns the service principal it creates.
    if (becomesOwner) caller.requireWrite(app.owners);
    if (store.state.servicePrincipals.some((sp) => sp.appId === appId)) {
        throw new GraphError(409, "Request_MultipleObjectsWithSameKeyValue",
            `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`);
    }
    const properties = writableProperties(input, "servicePrincipal", ["appId", "owners@odata.bind"]);
    const owners = ownerIdsFromBind(store.state, input["owners@odata.bind"]);
    if (becomesOwner && !owners.includes(caller.objectId)) owners.push(caller.objectId);
    const sp = store.change((state) => {
        const record = {
            id: newId(), appId,
            properties: { displayName: app.properties["displayName"] ?? null, ...properties },
            owners, graphPermissions: [],
        };
        state.servicePrincipals.push(record);
        return record;
    });
    return { status: 201, body: { ...context("servicePrincipals/$entity"), ...servicePrincipalView(sp, store.state) } };
}

export function listServicePrincipals(store: Store, caller: Caller, filter: string | null): GraphResult {
    caller.requireRead();
    const matches = parseFilter(filter, SERVICE_PRINCIPAL_FILTER);
    const value = store.state.servicePrincipals
        .map((sp) => servicePrincipalView(sp, store.state))
        .filter((sp) => matches === undefined || matches(sp));
    return { status: 200, body: { ...context("servicePrincipals"), value } };
}

export function getServicePrincipal(store: Store, caller: Caller, id: string): GraphResult {
    caller.requireRead();
    const sp = findServicePrincipal(store.state, id);
    return { status: 200, body: { ...context("servicePrincipals/$entity"), ...servicePrincipalView(sp, store.state) } };
}

export function updateServicePrincipal(store: Store, caller: Caller, id: string, body: string): GraphResult {
    const sp = findServicePrincipal(store.state, id);
    caller.requireWrite(sp.owners);
    const properties = writableProperties(jsonObject(body), "servicePrincipal");
    store.change(() => {
        sp.properties = { ...sp.properties, ...properties };
    });
    return { status: 204 };
}

/** To the directory's deleted items, as an application goes (deletedItems.ts). */
export function deleteServicePrincipal(store: Store, caller: Caller, id: string, now: Date): GraphResult {
    const sp = findServicePrincipal(store.state, id);
    caller.requireWrite(sp.owners);
    store.change((state) => softDelete(state, "servicePrincipal", sp.id, now.toISOString()));
    return { status: 204 };
}
