/**
 * What a stack declares, read from its exported state (`pulumi stack export`, without --show-secrets: pulumi/pulumi
 * sdk/go/common/apitype/core.go UntypedDeployment, DeploymentV3 `resources` and `pending_operations`): per identity
 * (each appidentity:azure:AppIdentity component), its app registration, service principal, client secrets and
 * certificates (key IDs), federated credentials (IDs), owners and role assignments. Owners are the program's
 * `owners` inputs, not the outputs: a `pulumi refresh` copies a hand-added owner into the outputs.
 */

export const COMPONENT_TYPE = "appidentity:azure:AppIdentity";
export const APP_TYPE = "azuread:index/application:Application";
export const SP_TYPE = "azuread:index/servicePrincipal:ServicePrincipal";
export const PASSWORD_TYPE = "azuread:index/applicationPassword:ApplicationPassword";
export const CERTIFICATE_TYPE = "azuread:index/applicationCertificate:ApplicationCertificate";
export const FEDERATED_TYPE = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential";
export const ROLE_ASSIGNMENT_TYPE = "azure-native:authorization:RoleAssignment";

export interface DeclaredObject {
    readonly urn: string;
    readonly objectId: string;
    readonly owners: readonly string[];
}

export interface DeclaredCredential {
    readonly urn: string;
    /** The key ID of a secret or certificate; the ID of a federated credential. All lower case. */
    readonly id: string;
}

export interface DeclaredRoleAssignment {
    readonly urn: string;
    /** The ARM ID as the state spells it (ARM compares IDs without case). */
    readonly id: string;
}

/**
 * A resource an interrupted `pulumi up` was creating: the engine wrote the pending operation (its resource with the
 * inputs as registered, no ID), never its result. The next `up` keeps it pending and creates the resource again
 * (pkg/engine/lifecycletest: "CREATE pending operations are retained").
 */
export interface PendingCreate {
    readonly urn: string;
    readonly type: string;
    /** The identity (the AppIdentity component's name) it belongs to. */
    readonly identity: string;
    readonly parent: string | undefined;
    /** Its displayName input: what Graph shows on the credential that create made. */
    readonly displayName: string | undefined;
    readonly inputs: Readonly<Record<string, unknown>>;
}

export interface DeclaredIdentity {
    /** The component's name: the identity's display name. */
    readonly identity: string;
    readonly application: DeclaredObject & { readonly clientId: string };
    readonly servicePrincipal: DeclaredObject | undefined;
    readonly passwords: readonly DeclaredCredential[];
    readonly certificates: readonly DeclaredCredential[];
    readonly federatedCredentials: readonly DeclaredCredential[];
    readonly roleAssignments: readonly DeclaredRoleAssignment[];
    readonly pendingCreates: readonly PendingCreate[];
}

interface ExportedResource {
    readonly urn?: unknown;
    readonly type?: unknown;
    readonly parent?: unknown;
    readonly id?: unknown;
    readonly delete?: unknown;
    readonly inputs?: Record<string, unknown>;
    readonly outputs?: Record<string, unknown>;
}

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
const lower = (value: unknown): string | undefined => text(value)?.toLowerCase();
const ids = (value: unknown): string[] =>
    (Array.isArray(value) ? value : []).filter((item): item is string => typeof item === "string").map((item) => item.toLowerCase());

type ExportedDocument = { deployment?: { resources?: unknown; pending_operations?: unknown } };

/** A URN's last part: the resource's own name. */
export const urnName = (urn: string) => urn.split("::").at(-1)!;
/** urn:pulumi:STACK::PROJECT::[PARENT-TYPE$]TYPE::NAME (sdk/go/common/resource/urn.go): the resource's own type. */
const urnType = (urn: string) => urn.split("::")[2]?.split("$").at(-1);

/** Every create the exported deployment holds pending, in its order; the identity is its parent component's name. */
export function pendingCreatesIn(exported: string): PendingCreate[] {
    return pendingCreatesOf(JSON.parse(exported) as ExportedDocument);
}

function pendingCreatesOf(document: ExportedDocument): PendingCreate[] {
    const operations = Array.isArray(document.deployment?.pending_operations)
        ? document.deployment.pending_operations as { resource?: ExportedResource; type?: unknown }[] : [];
    return operations.flatMap((operation) => {
        const resource = operation.resource;
        if (operation.type !== "creating" || typeof resource?.urn !== "string") return [];
        const parent = text(resource.parent);
        return [{ urn: resource.urn, type: String(resource.type), parent,
            identity: urnName(parent !== undefined && urnType(parent) === COMPONENT_TYPE ? parent : resource.urn),
            displayName: text(resource.inputs?.["displayName"]), inputs: resource.inputs ?? {} }];
    });
}

/** The identities an exported deployment declares, in state order; resources pending deletion do not count. */
export function declaredIdentities(exported: string): DeclaredIdentity[] {
    const document = JSON.parse(exported) as ExportedDocument;
    const all = Array.isArray(document.deployment?.resources) ? document.deployment.resources as ExportedResource[] : [];
    const resources = all.filter((resource) => resource.delete !== true && typeof resource.urn === "string");
    const pending = pendingCreatesOf(document);
    return resources.filter((resource) => resource.type === COMPONENT_TYPE).flatMap((component) => {
        const children = resources.filter((resource) => resource.parent === component.urn);
        const ofType = (type: string) => children.filter((resource) => resource.type === type);
        const app = ofType(APP_TYPE)[0];
        const objectId = lower(app?.outputs?.["objectId"]);
        if (app === undefined || objectId === undefined) return [];
        const sp = ofType(SP_TYPE)[0];
        const spObjectId = lower(sp?.outputs?.["objectId"]);
        const credentials = (type: string, output: string): DeclaredCredential[] => ofType(type).flatMap((resource) => {
            const id = lower(resource.outputs?.[output]);
            return id === undefined ? [] : [{ urn: resource.urn as string, id }];
        });
        return [{
            identity: urnName(component.urn as string),
            application: { urn: app.urn as string, objectId, clientId: lower(app.outputs?.["clientId"]) ?? "", owners: ids(app.inputs?.["owners"]) },
            servicePrincipal: sp === undefined || spObjectId === undefined ? undefined
                : { urn: sp.urn as string, objectId: spObjectId, owners: ids(sp.inputs?.["owners"]) },
            passwords: credentials(PASSWORD_TYPE, "keyId"),
            certificates: credentials(CERTIFICATE_TYPE, "keyId"),
            federatedCredentials: credentials(FEDERATED_TYPE, "credentialId"),
            roleAssignments: ofType(ROLE_ASSIGNMENT_TYPE).flatMap((resource) => {
                // The custom resource's ID is the assignment's ARM ID (azure-native's RoleAssignment).
                const id = text(resource.id);
                return id === undefined ? [] : [{ urn: resource.urn as string, id }];
            }),
            pendingCreates: pending.filter((create) => create.parent === component.urn),
        }];
    });
}
