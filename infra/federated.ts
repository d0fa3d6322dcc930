/**
 * Workload identity federation: the app trusts tokens that an OIDC issuer the server already has (a Kubernetes
 * cluster's service-account issuer, SPIRE's OIDC discovery provider, any issuer whose discovery document Entra can
 * read) issues for one subject. Nothing is stored on the server but the issuer's short-lived token, and nothing
 * expires or rotates here (Microsoft Learn, "Workload identity federation").
 *
 * Entra's rules for a federated identity credential, checked before anything is registered:
 * - at most 20 on an application (Microsoft Learn, "Important considerations and restrictions for federated
 *   identity credentials", https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-considerations;
 *   Graph, "Create federatedIdentityCredential": "Maximum of 20 objects can be added to an application");
 * - name: unique on the app, at most 120 characters and URL friendly (Graph, "federatedIdentityCredential resource
 *   type", https://learn.microsoft.com/en-us/graph/api/resources/federatedidentitycredential, `name`; the 120 also in
 *   Azure/azure-workload-identity#372), at least 3 as the admin center's form asks;
 * - issuer: the identity provider's URL, at most 600 characters; issuer and subject together unique on the app
 *   (same page, `issuer`, `subject`); https, since Entra reads the issuer's discovery document and keys from it;
 * - subject: at most 600 characters, matched exactly: a `*` is a literal character, not a pattern (only flexible
 *   credentials match patterns, and those serve GitHub, GitLab and Terraform Cloud tokens alone: considerations page);
 * - audiences: exactly one, `api://AzureADTokenExchange` for Entra (same page, `audiences`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { z } from "zod";
import type { GrantedRole } from "./grants";

export const FEDERATED_AUDIENCE = "api://AzureADTokenExchange";
export const MAX_FEDERATED_CREDENTIALS = 20;
const MAX_FIELD = 600;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/;

export interface FederatedCredentialConfig {
    /** The credential's name on the app (Graph's `name`), such as `k8s-prod-inventory-api`. */
    readonly name: string;
    /** The OIDC issuer's URL, as its tokens carry it in `iss`. */
    readonly issuer: string;
    /** The workload's subject, as its tokens carry it in `sub`, such as `system:serviceaccount:inventory:api`. */
    readonly subject: string;
}

const NAME_ALLOWED = "expected a name of 3-120 letters, digits, '-' or '_', starting with a letter or digit, such as k8s-prod-api";
const ISSUER_ALLOWED = `expected the issuer's https:// URL as its tokens carry it in iss, at most ${MAX_FIELD} characters, ` +
    "such as https://oidc.example.com/cluster-1";
const SUBJECT_ALLOWED = `expected the workload's subject as its tokens carry it in sub, 1-${MAX_FIELD} characters, such as ` +
    "system:serviceaccount:inventory:api";

export const federatedCredentialSchema = z.strictObject(
    {
        name: z.string({ error: NAME_ALLOWED }).regex(NAME, { error: NAME_ALLOWED }),
        issuer: z.string({ error: ISSUER_ALLOWED }).max(MAX_FIELD, { error: ISSUER_ALLOWED })
            .refine(isHttpsUrl, { error: ISSUER_ALLOWED }),
        subject: z.string({ error: SUBJECT_ALLOWED }).min(1, { error: SUBJECT_ALLOWED }).max(MAX_FIELD, { error: SUBJECT_ALLOWED }),
    },
    { error: "expected an entry with exactly the keys name, issuer and subject" },
);

function isHttpsUrl(text: string): boolean {
    try {
        const url = new URL(text);
        return url.protocol === "https:" && url.hostname !== "" && url.username === "" && url.password === "";
    } catch {
        return false;
    }
}

/**
 * What Entra would refuse across a stack's entries, one line each: `describe` names the key and its value, `about`
 * the key alone (for a list too long to quote).
 */
export function federatedCredentialProblems(entries: readonly FederatedCredentialConfig[],
    describe: (path: readonly PropertyKey[], allowed: string) => string, about: (key: string, text: string) => string): string[] {
    const problems: string[] = [];
    if (entries.length > MAX_FEDERATED_CREDENTIALS) {
        problems.push(about("federatedCredentials", `holds ${entries.length} entries; expected at most ` +
            `${MAX_FEDERATED_CREDENTIALS}, Entra's limit per app: one subject per environment or role, not per host`));
    }
    const names = new Map<string, number>();
    const pairs = new Map<string, number>();
    entries.forEach((entry, index) => {
        const name = entry.name.toLowerCase();
        const pair = `${entry.issuer}\n${entry.subject}`;
        if (names.has(name)) {
            problems.push(describe(["federatedCredentials", index, "name"], `expected a name no other entry has ` +
                `(federatedCredentials[${names.get(name)}] has it): Entra keeps one credential of a name on an app`));
        } else {
            names.set(name, index);
        }
        if (pairs.has(pair)) {
            problems.push(describe(["federatedCredentials", index, "subject"], `expected an issuer and subject no other entry ` +
                `has (federatedCredentials[${pairs.get(pair)}] has them): Entra refuses the same pair twice on an app`));
        } else {
            pairs.set(pair, index);
        }
        if (entry.subject.includes("*")) {
            problems.push(describe(["federatedCredentials", index, "subject"], "expected the exact subject: Entra matches " +
                "it character for character, so '*' would only match a subject with a '*' in it"));
        }
    });
    return problems;
}

/** `<identity>-federated-<name>`: one logical name per credential, kept while the entry keeps its name. */
export function federatedLogicalName(identity: string, name: string): string {
    return `${identity}-federated-${name}`;
}

/**
 * The app's federated identity credentials. Never protected, whatever the parent's protect: taking a server's trust
 * away must stay one line in the stack file.
 */
export function registerFederatedCredentials(identity: string, applicationId: pulumi.Input<string>,
    entries: readonly FederatedCredentialConfig[], opts: pulumi.CustomResourceOptions): azuread.ApplicationFederatedIdentityCredential[] {
    return entries.map((entry) => new azuread.ApplicationFederatedIdentityCredential(federatedLogicalName(identity, entry.name), {
        applicationId,
        displayName: entry.name,
        issuer: entry.issuer,
        subject: entry.subject,
        audiences: [FEDERATED_AUDIENCE],
    }, { ...opts, protect: false }));
}

/** What a stack exports of a federated identity: what the server's env file and a reviewer need, nothing secret. */
export interface FederatedIdentityOutputs {
    readonly displayName: string;
    readonly clientId: pulumi.Output<string>;
    readonly credential: "federated";
    /** The issuers and subjects the app trusts; nothing here expires or rotates. */
    readonly federatedCredentials: readonly FederatedCredentialConfig[];
    readonly servicePrincipalObjectId: pulumi.Output<string>;
    readonly roleAssignments: readonly GrantedRole[];
}
