// The benchmark's floor: a cold process that loads @pulumi/pulumi and evaluates an empty program under the same
// offline engine the plan uses. Everything `npm run plan` does beyond this is the project's own cost.
import { evaluateStack } from "../offline/engine";

evaluateStack({ program: () => Promise.resolve({}), project: "floor", stack: "floor", config: {} }).then(
    (evaluation) => { process.exitCode = evaluation.ok ? 0 : 1; },
    (error: unknown) => { console.error(error); process.exitCode = 1; },
);
