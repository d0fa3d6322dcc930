/**
 * Client secrets of an application: addPassword answers 200 with the new passwordCredential, the only time its
 * secretText is shown (learn.microsoft.com/graph/api/application-addpassword); removePassword answers 204
 * (application-removepassword). Without endDateTime Graph makes the secret live two years.
 */
import type { ApplicationRecord, PasswordRecord } from "../state";
import type { Store } from "../store";
import { hashSecret, hintOf, isGuid, newId, newSecret } from "../secrets";
import { parseIsoDuration } from "../../common/isoDuration";
import { badRequest, GraphError, notFound } from "./errors";
import { jsonObject, type GraphResult } from "./model";
import { context, graphDateTime } from "./odata";
import type { Caller } from "./permissions";
import { callerExemption, governingPolicy, restrictionInForce } from "./policies";

function dateProperty(value: unknown, name: string, fallback: Date): Date {
    if (value === undefined || value === null) return fallback;
    const date = typeof value === "string" ? new Date(value) : new Date(NaN);
    if (Number.isNaN(date.getTime())) {
        throw badRequest(`Invalid value specified for property '${name}' of resource 'PasswordCredential'.`);
    }
    return date;
}

export function addPassword(store: Store, caller: Caller, app: ApplicationRecord, body: string, now: Date): GraphResult {
    caller.requireWrite(app.owners);
    const input = jsonObject(body)["passwordCredential"] ?? {};
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
        throw badRequest("Invalid value specified for property 'passwordCredential' of resource 'Application'.");
    }
    const requested = input as Record<string, unknown>;
    const start = dateProperty(requested["startDateTime"], "startDateTime", now);
    const twoYears = new Date(start);
    twoYears.setUTCFullYear(twoYears.getUTCFullYear() + 2);
    const end = dateProperty(requested["endDateTime"], "endDateTime", twoYears);
    if (end.getTime() <= start.getTime()) {
        throw badRequest("Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.");
    }
    enforcePasswordPolicy(store, caller, app, start, end);
    const displayName = typeof requested["displayName"] === "string" ? requested["displayName"] : null;
    const secretText = newSecret();
    const password: PasswordRecord = {
        keyId: newId(), displayName, hint: hintOf(secretText),
        startDateTime: graphDateTime(start), endDateTime: graphDateTime(end), secretHash: hashSecret(secretText),
    };
    store.change(() => {
        app.passwords.push(password);
    });
    return {
        status: 200,
        body: {
            ...context("microsoft.graph.passwordCredential"),
            customKeyIdentifier: null, displayName, endDateTime: password.endDateTime, hint: password.hint,
            keyId: password.keyId, secretText, startDateTime: password.startDateTime,
        },
    };
}

/**
 * The app's governing app management policy (its own, else the tenant's default: policies.ts) refuses a password
 * when passwordAddition is in force, or when the password would outlive passwordLifetime's maxLifetime, with the
 * codes and texts Graph answers (400; public reports of real tenants: OfficeDev/microsoft-365-agents-toolkit
 * issues 10998 and 10905 quote the lifetime error with its InvalidKeyEndDate detail; the type error's code is in
 * the same project's aadApp constants, its text in KelvinTegelaar/CIPP's and others' handling of it). The lifetime
 * counts from startDateTime, which is now when the client sends none (application-addpassword).
 */
function enforcePasswordPolicy(store: Store, caller: Caller, app: ApplicationRecord, start: Date, end: Date): void {
    const policy = governingPolicy(store.state, app);
    if (policy === undefined) return;
    // excludeActors: a caller holding the exempting custom security attribute is not restricted (policies.ts).
    const exempt = callerExemption(store.state, caller);
    if (restrictionInForce(policy, "passwordCredentials", "passwordAddition", app, exempt) !== undefined) {
        throw new GraphError(400, "CredentialTypeNotAllowedAsPerAppPolicy", "Credential type not allowed as per assigned policy.");
    }
    const lifetime = restrictionInForce(policy, "passwordCredentials", "passwordLifetime", app, exempt);
    const max = lifetime?.maxLifetime === null || lifetime === undefined ? undefined : parseIsoDuration(lifetime.maxLifetime);
    if (max !== undefined && end.getTime() - start.getTime() > max) {
        const message = `Credential lifetime exceeds the max value allowed as per assigned policy '${policy.id}'.`;
        throw new GraphError(400, "CredentialInvalidLifetimeAsPerAppPolicy", message,
            [{ code: "InvalidKeyEndDate", message, target: "EndDate" }]);
    }
}

export function removePassword(store: Store, caller: Caller, app: ApplicationRecord, body: string): GraphResult {
    caller.requireWrite(app.owners);
    const keyId = jsonObject(body)["keyId"];
    if (typeof keyId !== "string" || !isGuid(keyId)) {
        throw badRequest("Invalid value specified for property 'keyId' of resource 'PasswordCredential'.");
    }
    // Not in Graph's documentation: what it answers for a keyId the app does not hold. 404 as for any missing object.
    if (!app.passwords.some((password) => password.keyId === keyId)) throw notFound(keyId);
    store.change(() => {
        app.passwords = app.passwords.filter((password) => password.keyId !== keyId);
    });
    return { status: 204 };
}
