// The Pulumi program's entry point. Pulumi calls the exported function and makes its result the stack outputs.
import { loadStackConfig } from "./config";
import { defineStack } from "./program";

export = async () => defineStack(loadStackConfig());
