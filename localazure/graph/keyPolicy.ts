/**
 * The app management policy on certificates an app is given (keyCredentials written by POST or PATCH
 * /applications): the governing policy (policies.ts) refuses, with 400, a new certificate when
 * - trustedCertificateAuthority is in force: "only certificates issued by the intermediate certificate authority
 *   defined ... can be added to apps", the policy "rejects attempts to add noncompliant certificates"
 *   (learn.microsoft.com/graph/tutorial-applications-basics; devblogs.microsoft.com/identity/app-management-policy:
 *   "not allowing self-signed certificates"). The local tenant holds no certificateBasedApplicationConfiguration
 *   (AppCertTrustConfiguration), so no certificate chains to a trusted authority: every new one is refused,
 *   self-signed ones first of all;
 * - asymmetricKeyLifetime is in force and the certificate's credential lives longer than maxLifetime (as a password
 *   under passwordLifetime: passwords.ts).
 * A certificate the app already holds (kept by keyId, key null) is not judged again. A caller exempt by excludeActors
 * is not restricted.
 */
import { parseIsoDuration } from "../../common/isoDuration";
import type { State } from "../state";
import { GraphError } from "./errors";
import type { KeyCredential } from "./keyCredentials";
import type { Caller } from "./permissions";
import { callerExemption, governingPolicy, restrictionInForce, type PolicySubject } from "./policies";

export function enforceKeyPolicy(state: Readonly<State>, caller: Caller, app: PolicySubject, stored: readonly KeyCredential[],
    written: readonly KeyCredential[]): void {
    const added = written.filter((credential) => !stored.includes(credential));
    const policy = governingPolicy(state, app);
    if (added.length === 0 || policy === undefined) return;
    const exempt = callerExemption(state, caller);
    if (restrictionInForce(policy, "keyCredentials", "trustedCertificateAuthority", app, exempt) !== undefined) {
        // Not in Graph's documentation: this refusal's code and text. Named as its siblings are (...AsPerAppPolicy).
        throw new GraphError(400, "CredentialNotFromTrustedCertificateAuthorityAsPerAppPolicy",
            `Certificate is not issued by a trusted certificate authority as per assigned policy '${policy.id}'.`);
    }
    const lifetime = restrictionInForce(policy, "keyCredentials", "asymmetricKeyLifetime", app, exempt);
    const max = lifetime?.maxLifetime === null || lifetime === undefined ? undefined : parseIsoDuration(lifetime.maxLifetime);
    if (max === undefined) return;
    if (added.some((credential) => Date.parse(credential.endDateTime) - Date.parse(credential.startDateTime) > max)) {
        const message = `Credential lifetime exceeds the max value allowed as per assigned policy '${policy.id}'.`;
        throw new GraphError(400, "CredentialInvalidLifetimeAsPerAppPolicy", message, [{ code: "InvalidKeyEndDate", message, target: "EndDate" }]);
    }
}
