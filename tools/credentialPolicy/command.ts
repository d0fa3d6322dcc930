/**
 * `npm run credential-policy -- --stack NAME`
 *
 * Before a deploy: would the tenant's app management policy refuse this stack's credentials? Reads the default
 * policy and those assigned to the stack's apps, as the deploying identity (the ARM_* variables the providers read),
 * and prints one line per problem naming the stack file, the key to change, the policy and its limit. Exit 0 when
 * the credentials fit, 1 when the policy would refuse them, 2 when the call is wrong or the stack or the policies
 * cannot be read (tools/expiry/command.ts's conventions). It reads policies and app names only, never a credential.
 */
import { parseArgs } from "node:util";
import { ConfigError, displayNamesOf, parseStackConfig, type StackConfig } from "../../infra/config";
import { credentialChoiceOf, credentialPolicyProblems, describePolicy, governingPolicy, PolicyShapeError,
    type CredentialChoice, type TenantPolicies } from "./appManagementPolicy";
import { readTenantPolicies } from "../azure/appManagementPolicies";
import { deployerCredential } from "../azure/credential";
import { AzureReader, AzureRequestError } from "../azure/rest";
import { runCommand, UsageError } from "../../common/cliArgs";
import { PROJECT_ROOT, readProject, readStackFile, StackFileError } from "../stacks/stackFiles";

/** The narrowest permission that reads the policies (docs/deployer.md, section 3). */
export const POLICY_PERMISSION = "Policy.Read.ApplicationConfiguration";

export interface CheckDependencies {
    readonly root: string;
    readonly env: NodeJS.ProcessEnv;
    readonly now: () => Date;
    /** Reads the tenant's policies; the deployer's Graph reader unless a test gives another. */
    readonly read?: (displayNames: readonly string[]) => Promise<TenantPolicies>;
}

/** The verdict when nothing is refused: what was checked, per identity. */
export function renderPass(stack: string, choice: CredentialChoice, tenant: TenantPolicies): string {
    const what = choice.credential === "secret"
        ? `client secrets of ${choice.secretLifetimeMonths} months`
        : `certificates of ${choice.certificateLifetimeMonths} months`;
    const governing = tenant.identities.map((identity) => {
        const policy = governingPolicy(tenant, identity);
        return `${identity.identity}: ${policy === undefined ? "no policy in force" : describePolicy(policy, identity.identity).replace(/,$/, "")}`;
    });
    return `Stack ${stack}: ${what} fit the tenant's app management policies (${governing.join("; ")}).`;
}

/** One line for a failed read, naming the permission when Graph refused it. */
export function describeReadError(error: unknown): string | undefined {
    if (error instanceof AzureRequestError) {
        const hint = error.status === 403
            ? `; the deploying identity needs the Microsoft Graph application permission ${POLICY_PERMISSION} (docs/deployer.md, section 3)`
            : "";
        return `cannot read the tenant's app management policies: ${error.message}${hint}`;
    }
    if (error instanceof PolicyShapeError) return `cannot read the tenant's app management policies: ${error.message}`;
    // @azure/identity's sign-in failures (AuthenticationError, CredentialUnavailableError, AggregateAuthenticationError).
    if (error instanceof Error && /Authentication|CredentialUnavailable/.test(error.name)) {
        return `cannot sign in as the deploying identity: ${error.message.split("\n")[0]}`;
    }
    return undefined;
}

export async function main(argv: readonly string[], dependencies: Partial<CheckDependencies> = {}): Promise<number> {
    const { root = PROJECT_ROOT, env = process.env, now = () => new Date() } = dependencies;
    let stack: string;
    try {
        const { values } = parseArgs({ args: [...argv], options: { stack: { type: "string" }, help: { type: "boolean", short: "h" } } });
        if (values.help) {
            console.log("usage: npm run credential-policy -- --stack NAME");
            return 0;
        }
        if (values.stack === undefined) throw new UsageError("say which stack: --stack NAME");
        stack = values.stack;
    } catch (error) {
        console.error(`credential-policy: ${(error as Error).message}`);
        return 2;
    }

    let config: StackConfig;
    let project: string;
    try {
        const read = readProject(root);
        const file = readStackFile(read, stack);
        project = read.name;
        config = parseStackConfig(read.name, stack, file.config, { keysAsWritten: file.keysAsWritten, secretKeys: file.secretKeys });
    } catch (error) {
        if (!(error instanceof StackFileError) && !(error instanceof ConfigError)) throw error;
        for (const problem of error.problems) console.error(`credential-policy: ${problem}`);
        return 2;
    }

    const read = dependencies.read ??
        ((names: readonly string[]) => readTenantPolicies(new AzureReader(deployerCredential(env).credential), names));
    let verdict: Verdict;
    try {
        verdict = await checkCredentialPolicy(stack, config, project, read, now());
    } catch (error) {
        const line = describeReadError(error);
        if (line === undefined) throw error;
        console.error(`credential-policy: ${line}`);
        return 2;
    }
    for (const line of verdict.lines) console.log(line);
    return verdict.fits ? 0 : 1;
}

/** The check's verdict on one stack: the lines it prints (one per problem when refused). */
export interface Verdict {
    readonly fits: boolean;
    readonly lines: readonly string[];
}

/**
 * One stack's credentials against the tenant's policies, read with `read` (which may throw a read error:
 * describeReadError names it). `npm run credential-policy` and `npm run fleet -- credential-policy` both judge by it.
 */
export async function checkCredentialPolicy(stack: string, config: StackConfig, project: string,
    read: (displayNames: readonly string[]) => Promise<TenantPolicies>, now: Date): Promise<Verdict> {
    // A stack under a managed identity alone has no app, so no credential a policy could refuse.
    if (!config.appRegistration) {
        return { fits: true, lines: [`Stack ${stack}: no app registration, so no client secret or certificate for the tenant's app ` +
            "management policies to judge (the app runs under a managed identity)."] };
    }
    // A federated identity holds no client secret or certificate, unless it keeps its secrets while servers move.
    if (config.credential === "federated" && !config.keepSecretsUntilSwitched) {
        return { fits: true, lines: [`Stack ${stack}: federated credentials only, so no client secret or certificate for the ` +
            "tenant's app management policies to judge."] };
    }
    const choice = credentialChoiceOf(config, project);
    const tenant = await read(displayNamesOf(config.appName, config.environment, config.developers));
    const problems = credentialPolicyProblems(choice, tenant, now);
    return problems.length > 0 ? { fits: false, lines: problems } : { fits: true, lines: [renderPass(stack, choice, tenant)] };
}

if (require.main === module) runCommand("credential-policy", (argv) => main(argv), 2);
