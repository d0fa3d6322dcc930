/**
 * The guardrails for federated identity credentials (infra/federated.ts): Entra's audience, an https issuer, and a
 * subject matched exactly. A credential that fails one of them would trust the wrong tokens or none.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

export const FEDERATED_CREDENTIAL_TYPE = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential";
/**
 * infra/federated.ts FEDERATED_AUDIENCE (the pack imports only what policy/tsconfig.json lists): the one audience
 * Entra accepts for its token exchange (Graph, "federatedIdentityCredential resource type", `audiences`).
 */
const ENTRA_AUDIENCE = "api://AzureADTokenExchange";

export const federatedCredentialTrust: ResourceValidationPolicy = {
    name: "federated-credential-trust",
    description: "A federated identity credential has exactly Entra's audience api://AzureADTokenExchange, an https " +
        "issuer and a subject without '*' (Entra matches subjects exactly; only flexible credentials match patterns).",
    remediationSteps: "Set federatedCredentials in the stack file to the issuer's https URL and the workload's exact " +
        "subject; the program sets the audience.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== FEDERATED_CREDENTIAL_TYPE) return;
        const audiences: unknown = args.props["audiences"];
        if (!Array.isArray(audiences) || audiences.length !== 1 || audiences[0] !== ENTRA_AUDIENCE) {
            report(`audiences is ${JSON.stringify(audiences ?? null)}; expected ["${ENTRA_AUDIENCE}"]`);
        }
        const issuer: unknown = args.props["issuer"];
        if (typeof issuer !== "string" || !issuer.startsWith("https://")) {
            report(`issuer is ${JSON.stringify(issuer ?? null)}; expected an https:// URL, from which Entra reads the issuer's keys`);
        }
        const subject: unknown = args.props["subject"];
        if (typeof subject === "string" && subject.includes("*")) {
            report(`subject is ${JSON.stringify(subject)}; expected the exact subject: Entra does not match '*' as a pattern`);
        }
    },
};

export const FEDERATED_POLICIES: readonly ResourceValidationPolicy[] = [federatedCredentialTrust];
