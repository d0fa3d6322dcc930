/**
 * `fleet credential-policy`: each stack's credentials against the tenant's app management policies, judged as
 * `npm run credential-policy -- --stack S` judges them (checkCredentialPolicy), with one sign-in as the deploying
 * identity for the whole run. It reads policies and app names only, never a credential.
 */
import { checkCredentialPolicy, describeReadError } from "../credentialPolicy/command";
import type { TenantPolicies } from "../credentialPolicy/appManagementPolicy";
import type { Operation } from "./runner";

export interface CredentialPolicyOptions {
    /** The project's name, which the identities' display names start from. */
    readonly project: string;
    readonly read: (displayNames: readonly string[]) => Promise<TenantPolicies>;
    readonly now: Date;
}

export function credentialPolicyOperation(options: CredentialPolicyOptions): Operation {
    return async (stack, _worker, progress) => {
        progress.step("reading the tenant's app management policies");
        let verdict;
        try {
            verdict = await checkCredentialPolicy(stack.stack, stack.config!, options.project, options.read, options.now);
        } catch (error) {
            throw new Error(describeReadError(error) ?? (error instanceof Error ? error.message : String(error)));
        }
        // The summary keeps one line a stack: the problems joined, each naming the file and key to change.
        if (!verdict.fits) throw new Error(verdict.lines.join("; "));
        return { detail: verdict.lines[0]!.replace(/^Stack \S+: /, "") };
    };
}
