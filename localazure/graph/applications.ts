/**
 * /v1.0/applications: create (201), list with `$filter` (200), get (200), update (204), delete (204)
 * (learn.microsoft.com/graph/api/application-post-applications, application-list, application-get,
 * application-update, application-delete). Entra allows two apps with the same display name.
 */
import type { Store } from "../store";
import { newId } from "../secrets";
import { badRequest } from "./errors";
import { softDelete } from "./deletedItems";
import { findApplication } from "./directory";
import { keyCredentialsFromPatch, storedKeyCredentials, type KeyCredential } from "./keyCredentials";
import { enforceKeyPolicy } from "./keyPolicy";
import { applicationView, jsonObject, writableProperties, type GraphResult } from "./model";
import { APPLICATION_FILTER, parseFilter } from "./filter";
import { context } from "./odata";
import { ownerIdsFromBind } from "./owners";
import type { Caller } from "./permissions";

export function createApplication(store: Store, caller: Caller, body: string, now: Date): GraphResult {
    const { becomesOwner } = caller.requireCreate();
    const input = jsonObject(body);
    const properties = writableProperties(input, "application", ["owners@odata.bind"]);
    if (typeof properties["displayName"] !== "string" || properties["displayName"] === "") {
        throw badRequest("Invalid value specified for property 'displayName' of resource 'Application'.");
    }
    if ("keyCredentials" in properties) {
        properties["keyCredentials"] = keyCredentialsFromPatch([], properties["keyCredentials"]);
        // A new app has no policy of its own yet: the tenant's default judges it, as created now.
        enforceKeyPolicy(store.state, caller, { id: "", createdDateTime: now.toISOString() }, [], properties["keyCredentials"] as KeyCredential[]);
    }
    const owners = ownerIdsFromBind(store.state, input["owners@odata.bind"]);
    // Application.ReadWrite.OwnedBy: the calling service principal becomes an owner of what it creates.
    if (becomesOwner && !owners.includes(caller.objectId)) owners.push(caller.objectId);
    const app = store.change((state) => {
        const record = { id: newId(), appId: newId(), createdDateTime: now.toISOString(), properties, owners, passwords: [] };
        state.applications.push(record);
        return record;
    });
    return { status: 201, body: { ...context("applications/$entity"), ...applicationView(app) } };
}

export function listApplications(store: Store, caller: Caller, filter: string | null): GraphResult {
    caller.requireRead();
    const matches = parseFilter(filter, APPLICATION_FILTER);
    const value = store.state.applications.map((app) => applicationView(app)).filter((app) => matches === undefined || matches(app));
    return { status: 200, body: { ...context("applications"), value } };
}

export function getApplication(store: Store, caller: Caller, id: string, select: string | null = null): GraphResult {
    caller.requireRead();
    const app = findApplication(store.state, id);
    // keyCredentials' keys only on $select for a single object (keyCredential resource type).
    if (select === "keyCredentials") {
        return { status: 200, body: { ...context("applications(keyCredentials)/$entity"), keyCredentials: applicationView(app, true)["keyCredentials"] } };
    }
    return { status: 200, body: { ...context("applications/$entity"), ...applicationView(app) } };
}

export function updateApplication(store: Store, caller: Caller, id: string, body: string): GraphResult {
    const app = findApplication(store.state, id);
    caller.requireWrite(app.owners);
    const properties = writableProperties(jsonObject(body), "application");
    if ("keyCredentials" in properties) {
        const stored = storedKeyCredentials(app.properties);
        properties["keyCredentials"] = keyCredentialsFromPatch(stored, properties["keyCredentials"]);
        enforceKeyPolicy(store.state, caller, app, stored, properties["keyCredentials"] as KeyCredential[]);
    }
    if ("displayName" in properties && (typeof properties["displayName"] !== "string" || properties["displayName"] === "")) {
        throw badRequest("Invalid value specified for property 'displayName' of resource 'Application'.");
    }
    store.change(() => {
        app.properties = { ...app.properties, ...properties };
    });
    return { status: 204 };
}

/**
 * Deleting an app deletes its service principal in the home tenant too (application-delete); both go to the
 * directory's deleted items, restorable for 30 days (deletedItems.ts).
 */
export function deleteApplication(store: Store, caller: Caller, id: string, now: Date): GraphResult {
    const app = findApplication(store.state, id);
    caller.requireWrite(app.owners);
    store.change((state) => softDelete(state, "application", app.id, now.toISOString()));
    return { status: 204 };
}
