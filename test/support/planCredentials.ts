/** What the local Entra stand-in is given to serve the identities of an offline plan. */
import type { AppCredential } from "../../localazure/standin/entra";
import type { StackEvaluation } from "../../tools/offline/engine";

/** The apps, service principals and secrets the offline engine's fake Azure issued for a stack. */
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
        return {
            displayName: String(app.state["displayName"]),
            clientId,
            tenantId,
            servicePrincipalObjectId: String(principal?.state["objectId"]),
            secrets,
        };
    });
}
