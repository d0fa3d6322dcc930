/**
 * A fake Azure for the Pulumi SDK's mocks: it answers every resource and invoke this program uses with realistic
 * placeholder IDs, and throws on anything else, so a new resource type cannot slip into a plan unanswered.
 *
 * Every ID is a UUID v5 of the stack and the resource's logical name, so two evaluations of the same stack answer
 * alike and a plan can be compared with the next one.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { v5 as uuidv5 } from "uuid";

type MockResourceArgs = pulumi.runtime.MockResourceArgs;
type MockResourceResult = pulumi.runtime.MockResourceResult;
type MockCallArgs = pulumi.runtime.MockCallArgs;

const FAKE_NAMESPACE = "a3c1b8f0-6f0e-5d5e-8a0b-2f6d3f7e9c11";
/** What Entra generates today: 40 characters of [A-Za-z0-9~._-]. */
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-";

export interface FakeAzureOptions {
    readonly stack: string;
    /** The tenant the fake deployer is signed in to. */
    readonly tenantId: string;
    /** The subscription the azure-native provider reads resources from in the invokes below: the stack's. */
    readonly subscriptionId?: string;
    /** The fake deployer's object ID; derived from the stack when unset. */
    readonly deployerObjectId?: string;
    /**
     * Logical names of resources that have been replaced (as by `npm run revoke`): they get new IDs and secrets,
     * as Azure gives a replacement, instead of the ones a first create gets.
     */
    readonly replaced?: readonly string[];
}

/** A resource the fake has answered for, with the state it gave back (secret values included). */
export interface IssuedResource {
    readonly type: string;
    readonly name: string;
    readonly id: string | undefined;
    readonly state: Record<string, unknown>;
}

export class FakeAzure implements pulumi.runtime.Mocks {
    readonly deployerObjectId: string;
    /** Everything the fake has answered, in order: what a stand-in of Entra and Storage serves from. */
    readonly issued: IssuedResource[] = [];

    constructor(private readonly options: FakeAzureOptions) {
        this.deployerObjectId = options.deployerObjectId ?? this.guid("deployer", "deployer");
    }

    call(args: MockCallArgs): Record<string, unknown> {
        switch (args.token) {
            case "azuread:index/getClientConfig:getClientConfig":
                return {
                    id: this.options.tenantId,
                    tenantId: this.options.tenantId,
                    clientId: this.guid("deployer", "client"),
                    objectId: this.deployerObjectId,
                };
            // pulumi-azure-native 3.28.0's invokes of infra/managedIdentity.ts: the resource read back (a GET), its
            // properties flattened, with a system-assigned identity's principal (as an Arc machine or a web app
            // with identity type SystemAssigned) or a user-assigned identity's own principal.
            case "azure-native:hybridcompute:getMachine":
            case "azure-native:web:getWebApp": {
                const { id, name } = this.resourceOf(args);
                return { id, name, identity: { type: "SystemAssigned", principalId: this.guid(args.token, id), tenantId: this.options.tenantId } };
            }
            case "azure-native:managedidentity:getUserAssignedIdentity": {
                const { id, name } = this.resourceOf(args);
                return {
                    id, name, type: "Microsoft.ManagedIdentity/userAssignedIdentities",
                    principalId: this.guid(args.token, id), clientId: this.guid(args.token, id, "/client"), tenantId: this.options.tenantId,
                };
            }
            default:
                throw new Error(`the offline engine does not answer the invoke ${args.token}`);
        }
    }

    /** The Azure resource ID an invoke of azure-native reads, in the stack's subscription. */
    private resourceOf(args: MockCallArgs): { id: string; name: string } {
        const types: Record<string, [string, string]> = {
            "azure-native:hybridcompute:getMachine": ["Microsoft.HybridCompute/machines", "machineName"],
            "azure-native:web:getWebApp": ["Microsoft.Web/sites", "name"],
            "azure-native:managedidentity:getUserAssignedIdentity": ["Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName"],
        };
        const [type, nameKey] = types[args.token]!;
        const inputs = args.inputs as Record<string, unknown>;
        const name = String(inputs[nameKey]);
        return {
            id: `/subscriptions/${this.options.subscriptionId ?? ""}/resourceGroups/${String(inputs["resourceGroupName"])}/providers/${type}/${name}`,
            name,
        };
    }

    newResource(args: MockResourceArgs): MockResourceResult {
        const result = this.answer(args);
        this.issued.push({ type: args.type, name: args.name, id: result.id ?? undefined, state: result.state as Record<string, unknown> });
        return result;
    }

    private answer(args: MockResourceArgs): MockResourceResult {
        const inputs = args.inputs as Record<string, unknown>;
        switch (args.type) {
            case "azuread:index/application:Application": {
                const objectId = this.guid(args.type, args.name);
                const clientId = this.guid(args.type, args.name, "/client");
                return {
                    id: `/applications/${objectId}`,
                    state: { ...inputs, objectId, clientId, publisherDomain: "contoso.onmicrosoft.com" },
                };
            }
            case "azuread:index/servicePrincipal:ServicePrincipal": {
                const objectId = this.guid(args.type, args.name);
                return {
                    id: objectId,
                    state: {
                        ...inputs,
                        objectId,
                        applicationTenantId: this.options.tenantId,
                        displayName: "",
                        type: "Application",
                    },
                };
            }
            case "azuread:index/applicationPassword:ApplicationPassword": {
                const keyId = this.guid(args.type, args.name, `/${String(inputs["endDate"])}`);
                return {
                    id: `${String(inputs["applicationId"])}/password/${keyId}`,
                    state: { ...inputs, keyId, value: this.secretValue(args.name, String(inputs["endDate"])) },
                };
            }
            case "azuread:index/applicationCertificate:ApplicationCertificate": {
                // key_id is Optional+Computed: the provider makes a random UUID when none is given
                // (terraform-provider-azuread internal/services/applications/application_certificate_resource.go).
                const keyId = this.guid(args.type, args.name, `/${String(inputs["endDate"])}`);
                return {
                    id: `${String(inputs["applicationId"])}/certificate/${keyId}`,
                    state: { ...inputs, keyId },
                };
            }
            case "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": {
                // The provider's ID: {application object ID}/federatedIdentityCredential/{credential ID}, without the
                // /applications/ of applicationId (terraform-provider-azuread internal/services/applications/parse
                // FederatedIdentityCredentialID, v3.9.0).
                const credentialId = this.guid(args.type, args.name);
                return {
                    id: `${String(inputs["applicationId"]).replace(/^\/applications\//, "")}/federatedIdentityCredential/${credentialId}`,
                    state: { ...inputs, credentialId, description: "" },
                };
            }
            case "azuread:index/namedLocation:NamedLocation":
            case "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy": {
                // The provider's IDs are Graph's paths, object_id the GUID (terraform-provider-azuread v3.9.0
                // internal/services/conditionalaccess: stable.NewIdentityConditionalAccessNamedLocationID(...).ID(),
                // NewIdentityConditionalAccessPolicyID).
                const objectId = this.guid(args.type, args.name);
                const collection = args.type.endsWith(":NamedLocation") ? "namedLocations" : "policies";
                return { id: `/identity/conditionalAccess/${collection}/${objectId}`, state: { ...inputs, objectId } };
            }
            case "azure-native:authorization:RoleAssignment": {
                const name = String(inputs["roleAssignmentName"]);
                return {
                    id: `${String(inputs["scope"])}/providers/Microsoft.Authorization/roleAssignments/${name}`,
                    state: { ...inputs, name, type: "Microsoft.Authorization/roleAssignments" },
                };
            }
            default:
                if (args.custom === false) return { id: undefined, state: {} };
                throw new Error(`the offline engine does not answer the resource type ${args.type}`);
        }
    }

    /** A secret in Entra's alphabet, the same for the same resource and end date, new after a rotation. */
    secretValue(logicalName: string, endDate: string): string {
        const digest = createHash("sha512").update(`${this.options.stack}|${this.generation(logicalName, "")}|${endDate}`).digest();
        return Array.from(digest.subarray(0, 40), (byte) => SECRET_ALPHABET[byte % SECRET_ALPHABET.length]).join("");
    }

    /** A GUID for the resource `logicalName` (and what `suffix` tells apart within it). */
    private guid(type: string, logicalName: string, suffix = ""): string {
        return uuidv5(`${this.options.stack}|${type}|${this.generation(logicalName, suffix)}`, FAKE_NAMESPACE);
    }

    /**
     * A resource's name and suffix, marked when the resource has been replaced, so that its IDs and secrets are new.
     * The logical name is passed apart from the suffix: names may hold '/' (role assignments', infra/names.ts).
     */
    private generation(logicalName: string, suffix: string): string {
        const text = `${logicalName}${suffix}`;
        return this.options.replaced?.includes(logicalName) === true ? `${text}#replaced` : text;
    }
}
