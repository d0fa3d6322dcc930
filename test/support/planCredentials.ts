/** What the local Entra stand-in is given to serve the identities of an offline plan. */
import type { AppCredential } from "../../localazure/standin/entra";
import type { StackEvaluation } from "../../tools/offline/engine";

/** The apps, service principals, secrets and federated credentials the offline engine's fake Azure issued for a stack. */
export function credentialsFromEvaluation(evaluation: StackEvaluation): AppCredential[] {
    const tenantId = String(evaluation.outputs["tenantId"]?.value);
    const issued = evaluation.fake.issued;
    const state = (type: string) => issued.filter((resource) => resource.type === type);
    return state("azuread:index/application:Application").map((app) => {
        const clientId = String(app.state["clientId"]);
        const principal = state("azuread:index/servicePrincipal:ServicePrincipal")
            .find((sp) => sp.state["clientId"] === clientId);
        const secrets = state("azuread:index/applicationPassword:ApplicationPassword")
            .filter((password) => password.state["applicationId"] === app.id)
            .map((password) => ({ value: String(password.state["value"]), endDate: new Date(String(password.state["endDate"])) }));
        // The subjects it trusts, as `pulumi up` registers them on the app (its applicationId is the app's ID).
        const federatedCredentials = state("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential")
            .filter((credential) => credential.state["applicationId"] === app.id)
            .map((credential) => ({ issuer: String(credential.state["issuer"]), subject: String(credential.state["subject"]),
                audiences: (credential.state["audiences"] as string[]).map(String) }));
        return {
            displayName: String(app.state["displayName"]),
            clientId,
            tenantId,
            servicePrincipalObjectId: String(principal?.state["objectId"]),
            secrets,
            federatedCredentials,
        };
    });
}
