/**
 * The local Graph's application federatedIdentityCredentials through plain fetch (localazure/graph/
 * federatedIdentityCredentials.ts cites what each rule follows).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { deployerGraph, newApp as newAppOf, type DeployerGraph, type GraphAnswer } from "./support/deployerGraph";

let azure: LocalAzure;
let graph: DeployerGraph;
const ISSUER = "https://token.actions.githubusercontent.com";
const credential = (overrides: Record<string, unknown> = {}) => ({
    name: "main-branch", issuer: ISSUER, subject: "repo:contoso/app:ref:refs/heads/main", audiences: ["api://AzureADTokenExchange"], ...overrides,
});


const errorOf = (answer: GraphAnswer) => {
    const error = answer.body?.["error"] as { code: string; message: string };
    return { status: answer.status, code: error.code, message: error.message };
};
const invalid = (field: string, value: string, text: string) => ({
    status: 400, code: "InvalidFederatedIdentityCredentialValue",
    message: `${text} paramName: FederatedIdentityCredential.${field}, paramValue: ${value}, objectType: Microsoft.Online.DirectoryServices.Application`,
});

beforeAll(async () => {
    azure = await startLocalAzure();
    graph = await deployerGraph(azure);
});
afterAll(async () => {
    await azure.stop();
});

const newApp = () => newAppOf(graph, "federated");

describe("application federatedIdentityCredentials in the local Graph", () => {
    it("creates (201), lists, gets by id and by name, patches (204) and deletes (204)", async () => {
        const app = await newApp();
        const created = await graph("POST", `/applications/${app}/federatedIdentityCredentials`,
            { "@odata.type": "#microsoft.graph.federatedIdentityCredential", ...credential() });
        expect(created.status).toBe(201);
        const id = String(created.body!["id"]);
        expect(created.body).toEqual({
            "@odata.context": `https://graph.microsoft.com/v1.0/$metadata#applications('${app}')/federatedIdentityCredentials/$entity`,
            id, ...credential(), description: null,
        });
        expect((await graph("GET", `/applications/${app}/federatedIdentityCredentials`)).body!["value"]).toEqual([{ id, ...credential(), description: null }]);
        expect((await graph("GET", `/applications/${app}/federatedIdentityCredentials?$filter=name eq 'main-branch'`)).body!["value"]).toHaveLength(1);
        expect((await graph("GET", `/applications/${app}/federatedIdentityCredentials?$filter=subject eq 'other'`)).body!["value"]).toEqual([]);
        expect((await graph("GET", `/applications/${app}/federatedIdentityCredentials/${id}`)).body!["id"]).toBe(id);
        expect((await graph("GET", `/applications/${app}/federatedIdentityCredentials/main-branch`)).body!["id"]).toBe(id);
        expect((await graph("GET", `/applications/${app}/federatedIdentityCredentials(name='main-branch')`)).body!["id"]).toBe(id);
        // The application's own GET does not show the relationship; its PATCH cannot write it.
        expect((await graph("GET", `/applications/${app}`)).body).not.toHaveProperty("federatedIdentityCredentials");
        expect((await graph("PATCH", `/applications/${app}`, { federatedIdentityCredentials: [] })).status).toBe(400);

        // What terraform-provider-azuread's update sends: the id and the unchanged name with the new values.
        const patched = await graph("PATCH", `/applications/${app}/federatedIdentityCredentials/${id}`,
            { id, name: "main-branch", issuer: ISSUER, subject: "repo:contoso/app:environment:prod", audiences: ["api://AzureADTokenExchange"], description: "" });
        expect(patched).toEqual({ status: 204, body: undefined });
        expect((await graph("GET", `/applications/${app}/federatedIdentityCredentials/${id}`)).body).toMatchObject({ subject: "repo:contoso/app:environment:prod", description: "" });
        expect(errorOf(await graph("PATCH", `/applications/${app}/federatedIdentityCredentials/${id}`, { name: "renamed" })))
            .toEqual(invalid("Name", "renamed", "The Name value of a federated identity credential cannot be changed."));

        expect((await graph("DELETE", `/applications/${app}/federatedIdentityCredentials/main-branch`)).status).toBe(204);
        expect(errorOf(await graph("GET", `/applications/${app}/federatedIdentityCredentials/${id}`))).toEqual({
            status: 404, code: "Request_ResourceNotFound",
            message: `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
        });
    });

    it("refuses a second credential of the same name (409) or the same issuer and subject (400), as real tenants answered", async () => {
        const app = await newApp();
        expect((await graph("POST", `/applications/${app}/federatedIdentityCredentials`, credential())).status).toBe(201);
        expect(errorOf(await graph("POST", `/applications/${app}/federatedIdentityCredentials`, credential({ subject: "other" })))).toEqual({
            status: 409, code: "Request_MultipleObjectsWithSameKeyValue", message: "FederatedIdentityCredential with name main-branch already exists.",
        });
        const subject = "repo:contoso/app:ref:refs/heads/main";
        expect(errorOf(await graph("POST", `/applications/${app}/federatedIdentityCredentials`, credential({ name: "again" })))).toEqual(invalid("Subject", subject,
            `The combination of issuer and subject must be unique for the application. Issuer ${ISSUER} and Subject: ${subject} already exist.`));
        // Subjects compare exactly: another case is another credential.
        expect((await graph("POST", `/applications/${app}/federatedIdentityCredentials`, credential({ name: "upper", subject: subject.toUpperCase() }))).status).toBe(201);
    });

    it.each([
        ["a name under 3 characters", { name: "ab" }, invalid("Name", "ab", "The specified Name value must be between 3 and 120 characters long.")],
        ["a name over 120 characters", { name: "n".repeat(121) }, invalid("Name", "n".repeat(121), "The specified Name value must be between 3 and 120 characters long.")],
        ["a name with '/'", { name: "feature/x" }, invalid("Name", "feature/x", "The specified Name value is not a valid URI last segment.")],
        ["a name starting with '-'", { name: "-abc" }, invalid("Name", "-abc", "The specified Name value is not a valid URI last segment.")],
        ["an issuer that is no URL", { issuer: "token.actions" }, invalid("Issuer", "token.actions", "The specified Issuer value is not a valid https URL.")],
        ["an http issuer", { issuer: "http://issuer.example" }, invalid("Issuer", "http://issuer.example", "The specified Issuer value is not a valid https URL.")],
        ["an issuer over 600 characters", { issuer: `https://x.example/${"i".repeat(600)}` },
            invalid("Issuer", `https://x.example/${"i".repeat(600)}`, "The specified Issuer value exceeds the maximum length of 600 characters.")],
        ["a subject over 600 characters", { subject: "s".repeat(601) }, invalid("Subject", "s".repeat(601), "The specified Subject value exceeds the maximum length of 600 characters.")],
        ["two audiences", { audiences: ["api://AzureADTokenExchange", "other"] },
            { status: 400, code: "InvalidFederatedIdentityCredentialsAudienceLength", message: "Federated identity credentials must have exactly 1 audience." }],
        ["no audience", { audiences: [] },
            { status: 400, code: "InvalidFederatedIdentityCredentialsAudienceLength", message: "Federated identity credentials must have exactly 1 audience." }],
        ["an audience over 600 characters", { audiences: ["a".repeat(601)] },
            invalid("Audiences", "a".repeat(601), "The specified Audiences value must be between 1 and 600 characters long.")],
        ["a description over 600 characters", { description: "d".repeat(601) },
            invalid("Description", "d".repeat(601), "The specified Description value exceeds the maximum length of 600 characters.")],
        ["no subject", { subject: undefined },
            { status: 400, code: "Request_BadRequest", message: "Invalid value specified for property 'subject' of resource 'FederatedIdentityCredential'." }],
    ])("refuses %s", async (_what, overrides, expected) => {
        const app = await newApp();
        expect(errorOf(await graph("POST", `/applications/${app}/federatedIdentityCredentials`, credential(overrides)))).toEqual(expected);
    });

    it("keeps a wildcard literally: '*' is no pattern, so a concrete subject is another credential and no filter matches by it", async () => {
        const app = await newApp();
        expect((await graph("POST", `/applications/${app}/federatedIdentityCredentials`, credential({ name: "wild", subject: "repo:contoso/app:*" }))).status).toBe(201);
        expect((await graph("POST", `/applications/${app}/federatedIdentityCredentials`, credential({ name: "concrete", subject: "repo:contoso/app:ref:refs/heads/main" }))).status).toBe(201);
        const listed = await graph("GET", `/applications/${app}/federatedIdentityCredentials?$filter=subject eq 'repo:contoso/app:ref:refs/heads/main'`);
        expect((listed.body!["value"] as { name: string }[]).map((entry) => entry.name)).toEqual(["concrete"]);
    });

    it("holds at most 20 per application: the 21st is refused", async () => {
        const app = await newApp();
        for (let index = 0; index < 20; index++) {
            expect((await graph("POST", `/applications/${app}/federatedIdentityCredentials`, credential({ name: `fic-${index}`, subject: `s${index}` }))).status).toBe(201);
        }
        expect(errorOf(await graph("POST", `/applications/${app}/federatedIdentityCredentials`, credential({ name: "fic-20", subject: "s20" }))))
            .toEqual(invalid("Name", "fic-20", "The application already has the maximum of 20 federated identity credentials."));
    });

    it("goes with its application: deleted, the app's credentials answer 404; restored, they are back", async () => {
        const app = await newApp();
        expect((await graph("POST", `/applications/${app}/federatedIdentityCredentials`, credential())).status).toBe(201);
        expect((await graph("DELETE", `/applications/${app}`)).status).toBe(204);
        expect(errorOf(await graph("GET", `/applications/${app}/federatedIdentityCredentials`)).status).toBe(404);
        expect((await graph("POST", `/directory/deletedItems/${app}/restore`)).status).toBe(200);
        expect((await graph("GET", `/applications/${app}/federatedIdentityCredentials`)).body!["value"]).toHaveLength(1);
    });
});
