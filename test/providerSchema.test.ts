/**
 * The stand-ins' inputs and outputs held against the real providers: pulumi-azuread 6.9.1's schema
 * (../shared/reference/azuread-v6.9.1-schema-excerpt.json) and the azure-native SDK's RoleAssignment type
 * (node_modules/@pulumi/azure-native/authorization/roleAssignment.d.ts). No property the real one lacks, every
 * required one present, the same replacement rules.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { applicationOutputs, applicationSpec } from "../localazure/providers/azuread/application";
import { applicationCertificateSpec, certificateOutputs } from "../localazure/providers/azuread/applicationCertificate";
import { applicationPasswordSpec, passwordOutputs } from "../localazure/providers/azuread/applicationPassword";
import type { ResourceSpec } from "../localazure/providers/azuread/bridge";
import { clientConfig } from "../localazure/providers/azuread/clientConfig";
import { AzureAdProvider } from "../localazure/providers/azuread/provider";
import { servicePrincipalOutputs, servicePrincipalSpec } from "../localazure/providers/azuread/servicePrincipal";
import { AzureNativeProvider } from "../localazure/providers/azure-native/provider";
import { outputsOf } from "../localazure/providers/azure-native/roleAssignment";
import { UNKNOWN } from "../localazure/providers/shared/properties";
import type { PropertyMap } from "../localazure/providers/shared/types";

interface SchemaProperty { type?: string; $ref?: string; items?: SchemaProperty; willReplaceOnChanges?: boolean }
interface SchemaResource {
    inputProperties: Record<string, SchemaProperty>;
    requiredInputs?: string[];
    properties: Record<string, SchemaProperty>;
    required?: string[];
}
interface Schema {
    resources: Record<string, SchemaResource>;
    functions: Record<string, { outputs: { properties: Record<string, SchemaProperty>; required: string[] } }>;
    types: Record<string, { properties: Record<string, SchemaProperty> }>;
}

const schema = JSON.parse(readFileSync("../shared/reference/azuread-v6.9.1-schema-excerpt.json", "utf8")) as Schema;
const NOWHERE = { LOCAL_AZURE_URL: "http://127.0.0.1:9" };
const OBJECT_ID = "11111111-1111-4111-8111-111111111111";
const APP_ID = "22222222-2222-4222-8222-222222222222";
const OWNER = "33333333-3333-4333-8333-333333333333";
const TENANT = "44444444-4444-4444-8444-444444444444";

/** Graph objects shaped as Graph v1.0 answers them (application, servicePrincipal, passwordCredential). */
const graphApplication = {
    id: OBJECT_ID, appId: APP_ID, displayName: "inventory-api-dev", signInAudience: "AzureADMyOrg", tags: [],
    publisherDomain: "contoso.onmicrosoft.com", identifierUris: [], info: { logoUrl: null }, isFallbackPublicClient: null,
    passwordCredentials: [],
};
const graphServicePrincipal = {
    id: OBJECT_ID, appId: APP_ID, displayName: "inventory-api-dev", accountEnabled: true, appOwnerOrganizationId: TENANT,
    servicePrincipalNames: [APP_ID], servicePrincipalType: "Application", signInAudience: "AzureADMyOrg", tags: [],
    replyUrls: [], alternativeNames: [], notificationEmailAddresses: [],
};
const graphPassword = {
    keyId: "55555555-5555-4555-8555-555555555555", displayName: "slot a", hint: "abc",
    startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2028-01-01T00:00:00Z", secretText: null,
};

function checkValue(where: string, value: unknown, property: SchemaProperty): void {
    if (value === UNKNOWN) return;
    if (property.$ref !== undefined) {
        const type = schema.types[property.$ref.replace("#/types/", "")];
        expect(type, `${where}: ${property.$ref}`).toBeDefined();
        expect(typeof value, where).toBe("object");
        for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
            const itemProperty = type?.properties[key];
            expect(itemProperty, `${where}.${key} is not in ${property.$ref}`).toBeDefined();
            if (itemProperty !== undefined) checkValue(`${where}.${key}`, item, itemProperty);
        }
        return;
    }
    if (property.type === "array") {
        expect(Array.isArray(value), `${where} is an array`).toBe(true);
        (value as unknown[]).forEach((item, index) => checkValue(`${where}[${index}]`, item, property.items ?? {}));
        return;
    }
    const expected = property.type === "integer" ? "number" : property.type;
    expect(typeof value, where).toBe(expected);
}

function checkOutputs(token: string, outputs: PropertyMap, requireAll: boolean): void {
    const resource = schema.resources[token] as SchemaResource;
    for (const [name, value] of Object.entries(outputs)) {
        const property = resource.properties[name];
        expect(property, `${token} output ${name} is not in the schema`).toBeDefined();
        if (property !== undefined) checkValue(`${token}.${name}`, value, property);
    }
    if (requireAll) expect(Object.keys(outputs)).toEqual(expect.arrayContaining(resource.required ?? []));
}

describe.each([
    ["Application", applicationSpec],
    ["ServicePrincipal", servicePrincipalSpec],
    ["ApplicationPassword", applicationPasswordSpec],
    ["ApplicationCertificate", applicationCertificateSpec],
] as [string, ResourceSpec][])("azuread %s inputs", (_name, spec) => {
    const resource = schema.resources[spec.token] as SchemaResource;

    it("models only inputs the schema has, each required one as required", () => {
        for (const name of Object.keys(spec.attributes)) expect(resource.inputProperties, name).toHaveProperty(name);
        const required = Object.entries(spec.attributes).filter(([, attribute]) => attribute.required === true).map(([name]) => name);
        expect(required.sort()).toEqual([...(resource.requiredInputs ?? [])].sort());
    });

    it("replaces on exactly the inputs the schema marks willReplaceOnChanges", () => {
        const forceNew = [
            ...Object.entries(spec.attributes).filter(([, attribute]) => attribute.forceNew === true).map(([name]) => name),
            ...(spec.otherForceNew ?? []),
        ];
        const schemaForceNew = Object.entries(resource.inputProperties)
            .filter(([, property]) => property.willReplaceOnChanges === true).map(([name]) => name);
        expect(forceNew.sort()).toEqual(schemaForceNew.sort());
    });
});

describe("azuread outputs", () => {
    it("Application: every required output, none the schema lacks", () => {
        checkOutputs("azuread:index/application:Application", applicationOutputs(graphApplication, [OWNER], true), true);
    });

    it("ServicePrincipal: every required output, none the schema lacks", () => {
        checkOutputs("azuread:index/servicePrincipal:ServicePrincipal", servicePrincipalOutputs(graphServicePrincipal, [OWNER]), true);
    });

    it("ApplicationPassword: every required output, the value marked secret as the schema does", () => {
        const outs = passwordOutputs(OBJECT_ID, graphPassword.keyId, graphPassword, "x".repeat(40), { rotateWhenChanged: { a: "1" } }, false);
        checkOutputs("azuread:index/applicationPassword:ApplicationPassword", outs, true);
        expect((schema.resources["azuread:index/applicationPassword:ApplicationPassword"] as SchemaResource).properties["value"]).toEqual({ secret: true, type: "string" });
    });

    it("ApplicationCertificate: every required output, the value marked secret as the schema does", () => {
        const credential = { keyId: graphPassword.keyId, type: "AsymmetricX509Cert", usage: "Verify", key: null,
            customKeyIdentifier: "A".repeat(40), displayName: null, startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-01-01T00:00:00Z" };
        const outs = certificateOutputs(OBJECT_ID, graphPassword.keyId, credential, { value: "-----BEGIN CERTIFICATE-----", encoding: "pem" }, false);
        checkOutputs("azuread:index/applicationCertificate:ApplicationCertificate", outs, true);
        expect((schema.resources["azuread:index/applicationCertificate:ApplicationCertificate"] as SchemaResource).properties["value"]).toEqual({ secret: true, type: "string" });
    });

    it("previews: planned outputs are schema properties", async () => {
        const provider = new AzureAdProvider(NOWHERE);
        const cases: [string, PropertyMap][] = [
            ["azuread:index/application:Application", { displayName: "a", signInAudience: "AzureADMyOrg", preventDuplicateNames: false, owners: [OWNER] }],
            ["azuread:index/servicePrincipal:ServicePrincipal", { clientId: APP_ID, accountEnabled: true, owners: [OWNER] }],
            ["azuread:index/applicationPassword:ApplicationPassword", { applicationId: `/applications/${OBJECT_ID}`, endDate: "2028-01-01T00:00:00Z" }],
            ["azuread:index/applicationCertificate:ApplicationCertificate", { applicationId: `/applications/${OBJECT_ID}`, value: "x", encoding: "pem", type: "AsymmetricX509Cert" }],
        ];
        for (const [token, inputs] of cases) {
            const { outs } = await provider.create({ urn: `urn:pulumi:dev::p::${token}::x`, inputs, preview: true });
            checkOutputs(token, outs, true);
        }
    });

    it("getClientConfig: the function's outputs exactly", () => {
        const outputs = clientConfig({ tenantId: TENANT, clientId: APP_ID, clientSecret: "unused" }, OBJECT_ID);
        const spec = schema.functions["azuread:index/getClientConfig:getClientConfig"]?.outputs;
        expect(Object.keys(outputs).sort()).toEqual(Object.keys(spec?.properties ?? {}).sort());
        expect(Object.keys(outputs)).toEqual(expect.arrayContaining(spec?.required ?? []));
    });
});

/** The SDK's RoleAssignment outputs (class members) and args, with whether each is optional. */
function sdkRoleAssignment() {
    const text = readFileSync("node_modules/@pulumi/azure-native/authorization/roleAssignment.d.ts", "utf8");
    const block = (start: string) => text.slice(text.indexOf(start), text.indexOf("\n}", text.indexOf(start)));
    const outputs = new Map([...block("export declare class RoleAssignment").matchAll(/readonly (\w+): pulumi\.Output<([^>]+)>;/g)]
        .map((match) => [match[1] as string, (match[2] as string).includes("undefined")]));
    const args = new Map([...block("export interface RoleAssignmentArgs").matchAll(/^\s+(\w+)(\?)?: pulumi\.Input</gm)]
        .map((match) => [match[1] as string, match[2] === "?"]));
    return { outputs, args };
}

describe("azure-native RoleAssignment against the SDK's types", () => {
    const sdk = sdkRoleAssignment();
    const scope = "/subscriptions/00000000-0000-0000-0000-00000000bbbb/resourceGroups/rg-inventory-dev";
    const args = {
        scope, principalId: OBJECT_ID, principalType: "ServicePrincipal", roleAssignmentName: graphPassword.keyId,
        roleDefinitionId: "/subscriptions/00000000-0000-0000-0000-00000000bbbb/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    };

    it("reads the SDK's declaration", () => {
        expect([...sdk.args.entries()].filter(([, optional]) => !optional).map(([name]) => name).sort()).toEqual(["principalId", "roleDefinitionId", "scope"]);
        expect(sdk.outputs.size).toBe(16);
    });

    it("checks into the SDK's args plus the API version azure-native v3 adds", async () => {
        const { inputs, failures } = await new AzureNativeProvider(NOWHERE).check("urn:pulumi:dev::p::azure-native:authorization:RoleAssignment::r", {}, args);
        expect(failures).toEqual([]);
        expect(Object.keys(inputs).filter((name) => !sdk.args.has(name))).toEqual(["azureApiVersion"]);
        expect(sdk.outputs.has("azureApiVersion")).toBe(true);
    });

    it("answers outputs the SDK declares, every non-optional one present", () => {
        // A 2022-04-01 GET answer as the Authorization REST API documents it.
        const outs = outputsOf({
            id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${args.roleAssignmentName}`,
            name: args.roleAssignmentName,
            type: "Microsoft.Authorization/roleAssignments",
            properties: {
                roleDefinitionId: args.roleDefinitionId, principalId: OBJECT_ID, principalType: "ServicePrincipal", scope,
                condition: null, conditionVersion: null, createdOn: "2026-01-01T00:00:00Z", updatedOn: "2026-01-01T00:00:00Z",
                createdBy: OWNER, updatedBy: OWNER, delegatedManagedIdentityResourceId: null, description: null,
            },
            systemData: { createdAt: "2026-01-01T00:00:00Z", createdBy: OWNER, createdByType: "Application" },
        });
        expect(Object.keys(outs).filter((name) => !sdk.outputs.has(name))).toEqual([]);
        const required = [...sdk.outputs.entries()].filter(([, optional]) => !optional).map(([name]) => name);
        expect(Object.keys(outs)).toEqual(expect.arrayContaining(required));
    });

    it("previews outputs the SDK declares", async () => {
        const provider = new AzureNativeProvider(NOWHERE);
        const { outs } = await provider.create({ urn: "urn:pulumi:dev::p::azure-native:authorization:RoleAssignment::r", inputs: args, preview: true });
        expect(Object.keys(outs).filter((name) => !sdk.outputs.has(name))).toEqual([]);
    });
});
