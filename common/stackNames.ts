/**
 * What a stack's name says in a fleet: `<app>-<environment>`, such as `inventory-api-prod`, where the environment
 * is one of the tenant's few (Pulumi.yaml's `environments`). The program, the fleet commands and the guardrail
 * policy pack read names with this one function, so that the three never disagree on which stacks are production.
 *
 * A stack named after an environment alone (`dev`, the layout of a single app) is that environment. App names may
 * hold '-' and so may environments (`pre-prod`), so the longest environment that ends the name wins.
 */
export interface StackName {
    /** The app the name carries; undefined for a stack named after its environment alone. */
    readonly app: string | undefined;
    readonly environment: string;
}

export function splitStackName(stack: string, environments: readonly string[]): StackName | undefined {
    if (environments.includes(stack)) return { app: undefined, environment: stack };
    const environment = environments
        .filter((name) => stack.length > name.length + 1 && stack.endsWith(`-${name}`))
        .reduce<string | undefined>((longest, name) => (longest === undefined || name.length > longest.length ? name : longest), undefined);
    return environment === undefined ? undefined : { app: stack.slice(0, -environment.length - 1), environment };
}
