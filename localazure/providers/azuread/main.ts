/** pulumi-resource-azuread (stand-in): `node -r sucrase/register/ts main.ts` serves it and prints its port. */
import { runPlugin } from "../shared/grpcServer";
import { AzureAdProvider } from "./provider";

runPlugin(() => new AzureAdProvider(process.env));
