/**
 * An application's federatedIdentityCredentials, as Graph v1.0 documents them (learn.microsoft.com/graph/api/resources/
 * federatedidentitycredential; application-post-federatedidentitycredentials, application-list-federatedidentitycredentials,
 * federatedidentitycredential-get, -update, -delete, all read in microsoftgraph/microsoft-graph-docs-contrib
 * api-reference/v1.0 at 028b8e35):
 * - POST /applications/{id}/federatedIdentityCredentials answers 201 with the new object; GET lists (200, `$filter`
 *   eq on name and subject); GET, PATCH (204), DELETE (204) on /federatedIdentityCredentials/{id}, where the key is
 *   the id or the name ("name ... Alternate key"), also as `(name='{name}')`;
 * - fields id (read-only, a GUID), name, issuer, subject, audiences, description (null when not given).
 * They are kept under the application's properties (as keyCredentials are, keyCredentials.ts) but are a relationship,
 * not a property: the application's own GET does not show them, and its PATCH refuses them (model.ts). Deleting the
 * application takes them with it to the deleted items, and a restore brings them back (deletedItems.ts).
 *
 * What is refused, each rule with its source. Where Graph's answer for a rule is not documented and no public thread
 * quotes it, the comment says so and the answer is chosen in the family Graph uses for this resource (400
 * InvalidFederatedIdentityCredentialValue, "<text> paramName: FederatedIdentityCredential.<Field>, paramValue: <value>,
 * objectType: Microsoft.Online.DirectoryServices.Application", as quoted in Azure/azure-dev#2505 and
 * Azure/azure-workload-identity#434).
 */
import type { ApplicationRecord } from "../state";
import type { Store } from "../store";
import { newId } from "../secrets";
import { badRequest, GraphError, notFound } from "./errors";
import { FEDERATED_IDENTITY_CREDENTIALS, jsonObject, type GraphResult } from "./model";
import { context, parseEqualsFilter } from "./odata";
import type { Caller } from "./permissions";

export interface FederatedIdentityCredential {
    readonly id: string;
    readonly name: string;
    readonly issuer: string;
    readonly subject: string;
    readonly audiences: readonly string[];
    readonly description: string | null;
}

/**
 * "A maximum of 20 federated identity credentials can be added to an application" (learn.microsoft.com/entra/workload-id/
 * workload-identity-federation-considerations; application-post-federatedidentitycredentials: "Maximum of 20 objects can
 * be added to an application"; maintainers confirm it in Azure/azure-workload-identity#575).
 */
export const MAX_PER_APPLICATION = 20;

/** "It has a limit of 600 characters" for issuer, subject, each audience and description (federatedidentitycredential resource type). */
export const MAX_VALUE_LENGTH = 600;

const PROPERTIES = ["name", "issuer", "subject", "audiences", "description"];

export function storedFederatedIdentityCredentials(app: ApplicationRecord): FederatedIdentityCredential[] {
    const value = app.properties[FEDERATED_IDENTITY_CREDENTIALS];
    return Array.isArray(value) ? value as FederatedIdentityCredential[] : [];
}

function invalidValue(field: string, value: unknown, text: string): GraphError {
    return new GraphError(400, "InvalidFederatedIdentityCredentialValue",
        `${text} paramName: FederatedIdentityCredential.${field}, paramValue: ${String(value)}, objectType: Microsoft.Online.DirectoryServices.Application`);
}

/** The shape Graph refuses before any rule of this resource: the generic OData answers (as model.ts writableProperties). */
function invalidProperty(property: string): GraphError {
    return badRequest(`Invalid value specified for property '${property}' of resource 'FederatedIdentityCredential'.`);
}

/**
 * Body properties: the five writable ones; `id` only as the credential's own (terraform-provider-azuread's update sends
 * it, application_federated_identity_credential_resource.go); OData annotations (`@odata.type`, which go-azure-sdk's
 * model adds) are ignored. Anything else is OData's "does not exist on type" (as model.ts writableProperties).
 */
function bodyOf(body: string, ownId: string | undefined): Record<string, unknown> {
    const input = jsonObject(body);
    const properties: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input)) {
        if (key.startsWith("@odata.")) continue;
        if (key === "id") {
            // Undocumented: what Graph answers for an id in the body. Read-only, as other read-only properties (model.ts).
            if (ownId === undefined || typeof value !== "string" || value.toLowerCase() !== ownId.toLowerCase()) {
                throw badRequest("Property 'id' is read-only and cannot be set.");
            }
            continue;
        }
        if (!PROPERTIES.includes(key)) {
            throw badRequest(`Property '${key}' does not exist on type 'microsoft.graph.federatedIdentityCredential'. Make sure to only ` +
                "use property names that are defined by the type or mark the type as open type.");
        }
        properties[key] = value;
    }
    return properties;
}

/** Every rule on one credential's own values. */
function validated(input: Record<string, unknown>, id: string): FederatedIdentityCredential {
    const { name, issuer, subject, audiences, description } = input;
    // "Required. Not nullable" for name, issuer, subject, audiences (resource type). Graph's answer for a missing one is
    // not documented; the generic OData answer is chosen.
    if (typeof name !== "string" || name === "") throw invalidProperty("name");
    if (typeof issuer !== "string" || issuer === "") throw invalidProperty("issuer");
    if (typeof subject !== "string" || subject === "") throw invalidProperty("subject");
    if (!Array.isArray(audiences) || audiences.some((audience) => typeof audience !== "string")) throw invalidProperty("audiences");
    if (description !== undefined && description !== null && typeof description !== "string") throw invalidProperty("description");

    // name: "a character limit of 3-120 characters and must be URL friendly. Alphanumeric, dash, or underscore characters
    // are supported, the first character must be alphanumeric only" (learn.microsoft.com/entra/workload-id/
    // workload-identity-federation-create-trust; the Graph resource type says "limit of 120 characters and must be URL
    // friendly"). A name with '/' is answered "The specified Name value is not a valid URI last segment." (Azure/azure-dev#2505,
    // a real tenant's 400); that text is used for every character rule. The answer for a length outside 3-120 is not
    // documented nor quoted anywhere found: the same family, a text of our own.
    if (name.length < 3 || name.length > 120) {
        throw invalidValue("Name", name, "The specified Name value must be between 3 and 120 characters long.");
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) {
        throw invalidValue("Name", name, "The specified Name value is not a valid URI last segment.");
    }

    // issuer: "The URL of the external identity provider ... limit of 600 characters" (resource type); Entra fetches its
    // OpenID discovery document from it ("A URL that complies with the OIDC Discovery spec", workload-identity-federation-
    // create-trust), which OIDC Discovery 1.0 §4 puts at an https URL. Graph's answer for a non-URL or non-https issuer is
    // not documented nor quoted in any thread found: the family's answer, a text of our own.
    if (issuer.length > MAX_VALUE_LENGTH) {
        throw invalidValue("Issuer", issuer, `The specified Issuer value exceeds the maximum length of ${MAX_VALUE_LENGTH} characters.`);
    }
    if (!isHttpsUrl(issuer)) throw invalidValue("Issuer", issuer, "The specified Issuer value is not a valid https URL.");

    // subject: "It has a limit of 600 characters" (resource type). Answer undocumented: the family's, a text of our own.
    if (subject.length > MAX_VALUE_LENGTH) {
        throw invalidValue("Subject", subject, `The specified Subject value exceeds the maximum length of ${MAX_VALUE_LENGTH} characters.`);
    }

    // audiences: "This field can only accept a single value and has a limit of 600 characters" (resource type). Graph's
    // answer is not quoted in any thread found; the managed-identity API (ARM) answers the same rule with
    // InvalidFederatedIdentityCredentialsAudienceLength "Federated identity credentials must have exactly 1 audience."
    // (Azure/azure-cli#31598, kubernetes-sigs/secrets-store-csi-driver#1840): that code and text are used, status 400.
    if (audiences.length !== 1) {
        throw new GraphError(400, "InvalidFederatedIdentityCredentialsAudienceLength", "Federated identity credentials must have exactly 1 audience.");
    }
    const audience = audiences[0] as string;
    if (audience === "" || audience.length > MAX_VALUE_LENGTH) {
        throw invalidValue("Audiences", audience, `The specified Audiences value must be between 1 and ${MAX_VALUE_LENGTH} characters long.`);
    }

    // description: "The unvalidated description ... limit of 600 characters" (resource type). Answer undocumented.
    if (typeof description === "string" && description.length > MAX_VALUE_LENGTH) {
        throw invalidValue("Description", description, `The specified Description value exceeds the maximum length of ${MAX_VALUE_LENGTH} characters.`);
    }

    // Wildcards: "Wildcard characters aren't supported in any federated identity credential property value"
    // (workload-identity-federation-create-trust). Graph stores '*' as any other character: it is compared, filtered
    // and matched literally, never as a pattern (flexible credentials, a beta claimsMatchingExpression, are not modelled).
    return { id, name, issuer, subject, audiences: [audience], description: typeof description === "string" ? description : null };
}

function isHttpsUrl(text: string): boolean {
    try {
        const url = new URL(text);
        return url.protocol === "https:" && url.hostname !== "";
    } catch {
        return false;
    }
}

/** The rules across the application's credentials; `others` excludes the one being updated. */
function enforceUnique(others: readonly FederatedIdentityCredential[], credential: FederatedIdentityCredential): void {
    // name unique per app: 409 Request_MultipleObjectsWithSameKeyValue "FederatedIdentityCredential with name main already
    // exists." (a real tenant's answer, Azure/azure-dev#1482). Whether the comparison ignores case is not documented;
    // alternate keys in the directory do, and so does this one (not confirmed).
    if (others.some((other) => other.name.toLowerCase() === credential.name.toLowerCase())) {
        throw new GraphError(409, "Request_MultipleObjectsWithSameKeyValue", `FederatedIdentityCredential with name ${credential.name} already exists.`);
    }
    // issuer + subject unique per app: "The combination of the values of issuer and subject must be unique within the app"
    // (resource type); the answer as a real tenant gave it (Azure/azure-workload-identity#434). Compared exactly: Entra
    // matches these values case-sensitively (learn.microsoft.com/entra/identity-platform/reference-breaking-changes,
    // "Federated identity credentials now use case-sensitive matching"; Azure/login#515).
    if (others.some((other) => other.issuer === credential.issuer && other.subject === credential.subject)) {
        throw invalidValue("Subject", credential.subject, "The combination of issuer and subject must be unique for the application. " +
            `Issuer ${credential.issuer} and Subject: ${credential.subject} already exist.`);
    }
}

const entityContext = (app: ApplicationRecord) => context(`applications('${app.id}')/federatedIdentityCredentials/$entity`);

export function createFederatedIdentityCredential(store: Store, caller: Caller, app: ApplicationRecord, body: string): GraphResult {
    caller.requireWrite(app.owners);
    const credential = validated(bodyOf(body, undefined), newId());
    const stored = storedFederatedIdentityCredentials(app);
    // The 21st is refused. Graph's answer is not documented nor quoted in any thread found (Azure/azure-workload-identity
    // #575, #830, #1172 and microsoft-graph-docs-contrib#8433 discuss the limit without the error text): the family's
    // answer, a text of our own.
    if (stored.length >= MAX_PER_APPLICATION) {
        throw invalidValue("Name", credential.name,
            `The application already has the maximum of ${MAX_PER_APPLICATION} federated identity credentials.`);
    }
    enforceUnique(stored, credential);
    store.change(() => {
        app.properties = { ...app.properties, [FEDERATED_IDENTITY_CREDENTIALS]: [...stored, credential] };
    });
    return { status: 201, body: { ...entityContext(app), ...credential } };
}

export function listFederatedIdentityCredentials(caller: Caller, app: ApplicationRecord, filter: string | null): GraphResult {
    caller.requireRead();
    // "Supports $filter (eq)" on name and subject (resource type).
    const equals = parseEqualsFilter(filter, ["name", "subject"], "FederatedIdentityCredential");
    const value = storedFederatedIdentityCredentials(app)
        .filter((credential) => equals === undefined || credential[equals.property as "name" | "subject"] === equals.value);
    return { status: 200, body: { ...context(`applications('${app.id}')/federatedIdentityCredentials`), value } };
}

/**
 * The credential a key names: its id, or its name (the alternate key). Graph's answer for a key that names nothing is
 * not documented for this resource; 404 Request_ResourceNotFound, as for any missing object (errors.ts).
 */
export function findFederatedIdentityCredential(app: ApplicationRecord, key: string): FederatedIdentityCredential {
    const found = storedFederatedIdentityCredentials(app)
        .find((credential) => credential.id.toLowerCase() === key.toLowerCase() || credential.name.toLowerCase() === key.toLowerCase());
    if (found === undefined) throw notFound(key);
    return found;
}

export function getFederatedIdentityCredential(caller: Caller, app: ApplicationRecord, key: string): GraphResult {
    caller.requireRead();
    return { status: 200, body: { ...entityContext(app), ...findFederatedIdentityCredential(app, key) } };
}

/**
 * PATCH: audiences, issuer, subject and description change; the name "is immutable after it's created" (resource type),
 * so a body may repeat it (the provider's update does: "Name is immutable but must be specified as it is a required
 * field") but not change it. Graph's answer to a changed name is not documented: the family's, a text of our own.
 */
export function updateFederatedIdentityCredential(store: Store, caller: Caller, app: ApplicationRecord, key: string, body: string): GraphResult {
    caller.requireWrite(app.owners);
    const current = findFederatedIdentityCredential(app, key);
    const changes = bodyOf(body, current.id);
    if ("name" in changes && changes["name"] !== current.name) {
        throw invalidValue("Name", changes["name"], "The Name value of a federated identity credential cannot be changed.");
    }
    const updated = validated({ ...current, ...changes }, current.id);
    const stored = storedFederatedIdentityCredentials(app);
    enforceUnique(stored.filter((credential) => credential.id !== current.id), updated);
    store.change(() => {
        app.properties = { ...app.properties,
            [FEDERATED_IDENTITY_CREDENTIALS]: stored.map((credential) => credential.id === current.id ? updated : credential) };
    });
    return { status: 204 };
}

export function deleteFederatedIdentityCredential(store: Store, caller: Caller, app: ApplicationRecord, key: string): GraphResult {
    caller.requireWrite(app.owners);
    const current = findFederatedIdentityCredential(app, key);
    store.change(() => {
        app.properties = { ...app.properties,
            [FEDERATED_IDENTITY_CREDENTIALS]: storedFederatedIdentityCredentials(app).filter((credential) => credential.id !== current.id) };
    });
    return { status: 204 };
}
