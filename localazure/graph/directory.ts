/** Looking objects up in the directory: 404 Request_ResourceNotFound when an ID names nothing. */
import type { ApplicationRecord, ServicePrincipalRecord, State } from "../state";
import { notFound } from "./errors";
import { requireObjectId } from "./model";

export function findApplication(state: Readonly<State>, id: string): ApplicationRecord {
    requireObjectId(id);
    const app = state.applications.find((candidate) => candidate.id === id);
    if (app === undefined) throw notFound(id);
    return app;
}

export function findServicePrincipal(state: Readonly<State>, id: string): ServicePrincipalRecord {
    requireObjectId(id);
    const sp = state.servicePrincipals.find((candidate) => candidate.id === id);
    if (sp === undefined) throw notFound(id);
    return sp;
}

export type DirectoryObject =
    | { readonly kind: "application"; readonly record: ApplicationRecord }
    | { readonly kind: "servicePrincipal"; readonly record: ServicePrincipalRecord };

export function findDirectoryObject(state: Readonly<State>, id: string): DirectoryObject {
    requireObjectId(id);
    const app = state.applications.find((candidate) => candidate.id === id);
    if (app !== undefined) return { kind: "application", record: app };
    const sp = state.servicePrincipals.find((candidate) => candidate.id === id);
    if (sp !== undefined) return { kind: "servicePrincipal", record: sp };
    throw notFound(id);
}
